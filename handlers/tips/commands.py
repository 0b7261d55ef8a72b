"""节日消费提示 and subscriptions; admins preview, send and date the tips."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.broadcasts import services as bc
from bot.kit import Context, drop_buttons
from bot.models import as_utc
from bot.render import label, render
from bot.tips.subscriptions import (
    TOPICS,
    active_subscribers,
    toggle_and_list,
    topics_of,
    unsubscribe_all,
)
from bot.users import audit
from handlers.common import (
    answer_query,
    args_text,
    button,
    keyboard,
    reply,
    require_admin,
    send_choice,
    sent_at_night,
    user_id,
)
from scheduler.broadcasts import launch
from scheduler.calendar import ADMIN_SET, NAMES, push_time
from scheduler.pushes import render_tip, schedule_pushes
from scheduler.tips_schedule import (
    current_occasion,
    find_occasion,
    send_tip_now,
    set_custom_occasion,
    tip_key,
)

__all__ = ["HANDLERS", "subscribe", "tips"]


def _today(context: Context) -> date:
    return context.now().astimezone(context.settings.tz).date()


async def tips(update: Update, context: Context) -> None:
    """/tips — the tip of the occasion under way or coming next."""
    uid = user_id(update)
    occasion = await context.db(current_occasion, _today(context))
    subscribed = "tips" in await context.db(topics_of, uid)
    text = render_tip(context.application, occasion) if occasion else None
    if text is None:
        await reply(update, render("tips_none"))
        return
    await reply(update, render("tips_current", tip=text, subscribed=subscribed))


def _subscribe_markup(active: set[str]) -> InlineKeyboardMarkup | None:
    return keyboard(
        [
            [button(("✅ " if t in active else "⬜ ") + label(f"topic_{t}"), f"sub:t:{t}")]
            for t in TOPICS
        ]
    )


async def subscribe(update: Update, context: Context) -> None:
    """/subscribe — topic toggles."""
    active = await context.db(topics_of, user_id(update))
    await reply(update, render("subscribe"), _subscribe_markup(active))


async def toggle(update: Update, context: Context) -> None:
    """sub:t:<topic> — flip one topic and redraw the toggles in place."""
    query = update.callback_query
    assert query is not None and query.data
    uid = user_id(update)
    state, active = await context.db(toggle_and_list, user_id=uid, topic=query.data.split(":")[2])
    if state is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(
        update, ("已订阅" if state else "已退订") + label(f"topic_{query.data.split(':')[2]}")
    )
    await query.edit_message_reply_markup(_subscribe_markup(active))


async def unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe — every topic off."""
    count = await context.db(unsubscribe_all, user_id=user_id(update))
    await reply(update, render("unsubscribed", count=count))


# --- admins: tips -------------------------------------------------------------------------------


async def _occasion_or_help(update: Update, context: Context) -> Any:
    wanted = args_text(context)
    occasion = await context.db(find_occasion, wanted, _today(context)) if wanted else None
    if occasion is None:
        await reply(
            update, render("tips_unknown", wanted=wanted or "（空）", names=list(NAMES.values()))
        )
    return occasion


async def _preview(update: Update, context: Context, *, confirm: bool) -> None:
    occasion = await _occasion_or_help(update, context)
    if occasion is None:
        return
    text = render_tip(context.application, occasion)
    if text is None:
        await reply(update, render("tips_none"))
        return
    settings = context.bot_data.settings
    subscribers = len(await context.db(active_subscribers, "tips"))
    sent = await context.db(bc.find_broadcast, tip_key(occasion.key, occasion.day.year))
    at = push_time(
        occasion.day,
        days_before=settings.tip_days_before,
        at=settings.tip_push_time,
        tz=settings.tz,
    )
    data = f"tip:send:{occasion.key}:{occasion.day.isoformat()}"
    quiet, rows = send_choice(context, data, subscribers)
    confirm = confirm and sent is None  # a tip reaches people once a year
    head = render(
        "tips_preview",
        occasion=occasion,
        push_at=at,
        subscribers=subscribers,
        confirm=confirm,
        sent=sent,
        sent_at=as_utc(sent.created_at) if sent else None,
        quiet=quiet if confirm else None,
    )
    await reply(update, head)
    await reply(update, text, keyboard(rows) if confirm else None)


@require_admin
async def tips_preview(update: Update, context: Context) -> None:
    """/tips_preview <节日> — the tip as subscribers will see it."""
    await _preview(update, context, confirm=False)


@require_admin
async def tips_send(update: Update, context: Context) -> None:
    """/tips_send <节日> — preview with a confirmation button."""
    await _preview(update, context, confirm=True)


@require_admin
async def tips_send_confirmed(update: Update, context: Context) -> None:
    """tip:send:<key>:<date>[:night] — queue the tip to every tips subscriber now."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, key, day, *_ = query.data.split(":")
    admin = user_id(update)
    occasion = await context.db(find_occasion, key, date.fromisoformat(day))
    text = render_tip(context.application, occasion) if occasion else None
    broadcast = None
    if occasion is not None and text is not None and occasion.day.isoformat() == day:
        broadcast = await context.db(
            send_tip_now,
            occasion=occasion,
            text=text,
            admin_id=admin,
            respect_quiet_hours=not sent_at_night(query.data),
        )
    if broadcast is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await drop_buttons(update)
    if broadcast.created_by != admin or broadcast.status not in bc.ACTIVE:
        await answer_query(update, render("tips_already_sent", b=broadcast), alert=True)
        return
    await answer_query(update)
    assert broadcast.id is not None
    launch(context.application, broadcast.id)


def _occasion_args(text: str) -> tuple[str, date, str | None, str | None] | None:
    """(key, day, name, tip text): a known occasion and a date, or a name, a date and a text."""
    parts = text.split(maxsplit=2)
    try:
        day = date.fromisoformat(parts[1]) if len(parts) >= 2 else None
    except ValueError:
        day = None
    key = {v: k for k, v in NAMES.items()}.get(parts[0], parts[0]) if parts else ""
    if day is None or (key not in ADMIN_SET and len(parts) < 3):
        return None
    if key in ADMIN_SET:
        return key, day, None, None
    return "custom", day, parts[0][:30], parts[2][: bc.MAX_TEXT]


@require_admin
async def occasion_set(update: Update, context: Context) -> None:
    """/occasion_set <spring_school|autumn_school|food_safety_week|名称> <日期> [提示正文]."""
    parsed = _occasion_args(args_text(context))
    if parsed is None:
        hint = (
            "节日："
            + "、".join(NAMES[k] for k in ADMIN_SET)
            + "，或自定义活动名称（需附提示正文）"
        )
        usage = "/occasion_set 节日 YYYY-MM-DD [自定义活动的提示正文]"
        await reply(update, render("bad_usage", usage=usage, hint=hint))
        return
    key, day, name, text = parsed
    row = await context.db(set_custom_occasion, key=key, day=day, name=name, text=text)
    await context.db(
        audit, actor_id=user_id(update), action="occasion:set", detail=f"{row.key} {day}"
    )
    await schedule_pushes(context.application)
    settings = context.bot_data.settings
    at = push_time(
        day, days_before=settings.tip_days_before, at=settings.tip_push_time, tz=settings.tz
    )
    await reply(update, render("occasion_set", occasion=row, push_at=at, error=""))


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("tips", tips),
    CommandHandler("subscribe", subscribe),
    CommandHandler("unsubscribe", unsubscribe),
    CommandHandler("tips_preview", tips_preview),
    CommandHandler("tips_send", tips_send),
    CommandHandler("occasion_set", occasion_set),
    CallbackQueryHandler(toggle, pattern=r"^sub:t:[a-z]+$"),
    CallbackQueryHandler(
        tips_send_confirmed, pattern=r"^tip:send:[a-z0-9_-]+:\d{4}-\d{2}-\d{2}(:night)?$"
    ),
]
