"""节日消费提示, subscriptions and admin broadcasts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import broadcasts as bc
from bot.context import Context
from bot.models import Broadcast, utcnow
from bot.render import label, render
from bot.subscriptions import TOPICS, active_subscribers, toggle_topic, topics_of, unsubscribe_all
from bot.users import audit
from handlers.common import (
    answer_query,
    args_text,
    button,
    db,
    keyboard,
    parse_int,
    reply,
    require_admin,
    user_id,
)
from scheduler.broadcast import launch
from scheduler.calendar import ADMIN_SET, NAMES, push_time
from scheduler.pushes import render_tip, schedule_pushes
from scheduler.tips_schedule import current_occasion, find_occasion, set_custom_occasion

__all__ = ["FEATURE", "HANDLERS", "MENU_ACTIONS", "STARTUP", "TEXT_INTERCEPTORS"]

FEATURE = "tips"
MAX_BROADCAST = 3500
_KINDS = {
    "admin": "群发",
    "tip": "节日提示",
    "campaign_announce": "活动宣传",
    "campaign_publish": "结果公示",
}
_STATUSES = {
    "draft": "草稿",
    "queued": "排队中",
    "running": "发送中",
    "done": "已完成",
    "cancelled": "已取消",
}


def _today(context: Context) -> date:
    return utcnow().astimezone(context.bot_data.settings.tz).date()


async def tips(update: Update, context: Context) -> None:
    """/tips — the tip of the occasion under way or coming next."""
    uid = user_id(update)
    with db(context) as session:
        occasion = current_occasion(session, _today(context))
        subscribed = "tips" in topics_of(session, uid)
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
    with db(context) as session:
        active = topics_of(session, user_id(update))
    await reply(update, render("subscribe"), _subscribe_markup(active))


async def toggle(update: Update, context: Context) -> None:
    """sub:t:<topic> — flip one topic and redraw the toggles in place."""
    query = update.callback_query
    assert query is not None and query.data
    uid = user_id(update)
    with db(context) as session:
        state = toggle_topic(session, user_id=uid, topic=query.data.split(":")[2])
        active = topics_of(session, uid)
    if state is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(
        update, ("已订阅" if state else "已退订") + label(f"topic_{query.data.split(':')[2]}")
    )
    await query.edit_message_reply_markup(_subscribe_markup(active))


async def unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe — every topic off."""
    with db(context) as session:
        count = unsubscribe_all(session, user_id=user_id(update))
    await reply(update, render("unsubscribed", count=count))


# --- admins: tips -------------------------------------------------------------------------------


async def _occasion_or_help(update: Update, context: Context) -> Any:
    wanted = args_text(context)
    with db(context) as session:
        occasion = find_occasion(session, wanted, _today(context)) if wanted else None
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
    with db(context) as session:
        subscribers = len(active_subscribers(session, "tips"))
    at = push_time(
        occasion.day,
        days_before=settings.tip_days_before,
        at=settings.tip_push_time,
        tz=settings.tz,
    )
    head = render(
        "tips_preview", occasion=occasion, push_at=at, subscribers=subscribers, confirm=confirm
    )
    markup = keyboard(
        [[button(label("send_now"), f"tip:send:{occasion.key}:{occasion.day.isoformat()}")]]
    )
    await reply(update, head)
    await reply(update, text, markup if confirm else None)


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
    """tip:send:<key>:<date> — queue the tip to every tips subscriber now."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, key, day = query.data.split(":")
    admin = user_id(update)
    with db(context) as session:
        occasion = find_occasion(session, key, date.fromisoformat(day))
        text = render_tip(context.application, occasion) if occasion else None
        if occasion is None or text is None or occasion.day.isoformat() != day:
            await answer_query(update, render("stale_button"), alert=True)
            return
        # The scheduled push uses the same key: an occasion's tip reaches people once a year,
        # whether an admin sent it early or the schedule did.
        broadcast = bc.create_broadcast(
            session,
            kind="tip",
            topic="tips",
            text=text,
            created_by=admin,
            progress_chat_id=admin,
            key=f"tip:{occasion.key}:{occasion.day.year}",
        )
        audit(session, actor_id=admin, action="tips:send", detail=f"{key} {day} #{broadcast.id}")
    await query.edit_message_reply_markup(None)
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
    return "custom", day, parts[0][:30], parts[2][:MAX_BROADCAST]


@require_admin
async def occasion_set(update: Update, context: Context) -> None:
    """/occasion_set <spring_school|autumn_school|food_safety_week|名称> <日期> [提示正文]."""
    parsed = _occasion_args(args_text(context))
    if parsed is None:
        hint = "节日：" + "、".join(f"{k}（{NAMES[k]}）" for k in ADMIN_SET) + "，或自定义名称"
        usage = "/occasion_set 节日 YYYY-MM-DD [自定义活动的提示正文]"
        await reply(update, render("bad_usage", usage=usage, hint=hint))
        return
    key, day, name, text = parsed
    with db(context) as session:
        row = set_custom_occasion(session, key=key, day=day, name=name, text=text)
        audit(session, actor_id=user_id(update), action="occasion:set", detail=f"{row.key} {day}")
    await schedule_pushes(context.application)
    settings = context.bot_data.settings
    at = push_time(
        day, days_before=settings.tip_days_before, at=settings.tip_push_time, tz=settings.tz
    )
    await reply(update, render("occasion_set", occasion=row, push_at=at, error=""))


# --- admins: broadcasts -------------------------------------------------------------------


def _draft_of(session: Session, admin: int) -> Broadcast | None:
    return session.exec(
        select(Broadcast)
        .where(Broadcast.created_by == admin, Broadcast.status == "draft")
        .order_by(col(Broadcast.id).desc())
    ).first()


@require_admin
async def broadcast_new(update: Update, context: Context) -> None:
    """/broadcast — start composing; the next text becomes the message (kept as a draft row)."""
    admin = user_id(update)
    with db(context) as session:
        draft = _draft_of(session, admin) or Broadcast(
            kind="admin", text="", status="draft", created_by=admin, progress_chat_id=admin
        )
        draft.text = ""
        session.add(draft)
        session.commit()
    await reply(update, render("broadcast_compose", id=draft.id))


async def broadcast_text(update: Update, context: Context) -> bool:
    """Text interceptor: an admin with an empty draft is writing the broadcast."""
    uid = user_id(update)
    if not context.bot_data.roles.is_admin(uid) or update.message is None:
        return False
    with db(context) as session:
        draft = _draft_of(session, uid)
        if draft is None or draft.text:
            return False
        text = update.message.text_html or ""
        if len(text) > MAX_BROADCAST:
            await reply(
                update, render("broadcast_too_long", length=len(text), limit=MAX_BROADCAST)
            )
            return True
        draft.text = text
        session.add(draft)
        session.commit()
    await _show_draft(update, context, draft)
    return True


async def _show_draft(update: Update, context: Context, draft: Broadcast) -> None:
    with db(context) as session:
        count = (
            len(active_subscribers(session, draft.topic))
            if draft.topic and draft.topic != "all"
            else None
        )
    topics = [*TOPICS, "all"]
    rows = [
        [button(label("choose_topic", name=label(f"topic_{t}")), f"bc:topic:{draft.id}:{t}")]
        for t in topics
    ]
    if draft.topic:
        rows = [[button(label("send_now"), f"bc:go:{draft.id}")], *rows]
    await reply(
        update,
        render(
            "broadcast_preview",
            b=draft,
            topic_name=label(f"topic_{draft.topic}") if draft.topic else "",
            count=count if count is not None else "全部",
        ),
    )
    await reply(update, draft.text, keyboard(rows))


@require_admin
async def broadcast_topic(update: Update, context: Context) -> None:
    """bc:topic:<id>:<topic> — choose who receives the draft."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, raw_id, topic = query.data.split(":")
    with db(context) as session:
        draft = session.get(Broadcast, parse_int(raw_id) or 0)
        if (
            draft is None
            or draft.status != "draft"
            or draft.created_by != user_id(update)
            or topic not in (*TOPICS, "all")
        ):
            await answer_query(update, render("stale_button"), alert=True)
            return
        draft.topic = topic
        session.add(draft)
        session.commit()
    await answer_query(update)
    await _show_draft(update, context, draft)


@require_admin
async def broadcast_go(update: Update, context: Context) -> None:
    """bc:go:<id> — confirmed: queue and launch."""
    query = update.callback_query
    assert query is not None and query.data
    admin = user_id(update)
    with db(context) as session:
        draft = session.get(Broadcast, parse_int(query.data.split(":")[2]) or 0)
        if (
            draft is None
            or draft.status != "draft"
            or draft.created_by != admin
            or not draft.topic
        ):
            await answer_query(update, render("stale_button"), alert=True)
            return
        draft.status = "queued"
        session.add(draft)
        session.commit()
        audit(
            session, actor_id=admin, action="broadcast:start", detail=f"#{draft.id} {draft.topic}"
        )
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    await reply(update, render("broadcast_started", b=draft))
    assert draft.id is not None
    launch(context.application, draft.id)


@require_admin
async def broadcast_list(update: Update, context: Context) -> None:
    """/broadcasts — recent broadcasts with their figures."""
    with db(context) as session:
        rows = bc.recent_broadcasts(session)
    await reply(update, render("broadcast_list", rows=rows, kinds=_KINDS, statuses=_STATUSES))


@require_admin
async def broadcast_cancel(update: Update, context: Context) -> None:
    """/broadcast_cancel <id> — stop a queued or running broadcast (or drop a draft)."""
    number = parse_int(args_text(context))
    with db(context) as session:
        cancelled = bc.cancel_broadcast(session, number) if number else None
        if cancelled is not None:
            audit(
                session, actor_id=user_id(update), action="broadcast:cancel", detail=f"#{number}"
            )
    await reply(update, render("broadcast_cancelled", b=cancelled, id=number or "?"))


async def _startup(app: Any) -> None:
    from scheduler.pushes import setup_jobs

    await setup_jobs(app)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("tips", tips),
    CommandHandler("subscribe", subscribe),
    CommandHandler("unsubscribe", unsubscribe),
    CommandHandler("tips_preview", tips_preview),
    CommandHandler("tips_send", tips_send),
    CommandHandler("occasion_set", occasion_set),
    CommandHandler("broadcast", broadcast_new),
    CommandHandler("broadcasts", broadcast_list),
    CommandHandler("broadcast_cancel", broadcast_cancel),
    CallbackQueryHandler(toggle, pattern=r"^sub:t:[a-z]+$"),
    CallbackQueryHandler(tips_send_confirmed, pattern=r"^tip:send:[a-z0-9_-]+:\d{4}-\d{2}-\d{2}$"),
    CallbackQueryHandler(broadcast_topic, pattern=r"^bc:topic:\d+:[a-z]+$"),
    CallbackQueryHandler(broadcast_go, pattern=r"^bc:go:\d+$"),
]
MENU_ACTIONS = {"menu_tips": tips, "menu_subscribe": subscribe}
STARTUP = [_startup]
TEXT_INTERCEPTORS = [broadcast_text]
