"""Admin broadcasts: /broadcast composes a draft row (its text, then who receives it), the
engine in scheduler/broadcasts.py sends it; /broadcasts and /broadcast_cancel follow it up."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.broadcasts import compose as composer
from bot.broadcasts import services as bc
from bot.kit import Context
from bot.models import Broadcast
from bot.render import label, render
from bot.tips.subscriptions import TOPICS
from handlers.common import (
    answer_query,
    args_text,
    button,
    keyboard,
    parse_int,
    reply,
    require_admin,
    send_choice,
    sent_at_night,
    user_id,
)
from scheduler.broadcasts import launch

__all__ = ["HANDLERS", "broadcast_text"]

_KINDS = {
    "admin": "群发",
    "tip": "节日提示",
    "campaign_announce": "活动宣传",
    "campaign_publish": "结果公示",
    "records": "日管控提醒",
}
_STATUSES = {
    "draft": "草稿",
    "queued": "排队中",
    "running": "发送中",
    "done": "已完成",
    "cancelled": "已取消",
}


@require_admin
async def broadcast_new(update: Update, context: Context) -> None:
    """/broadcast — start composing; the next text becomes the message (kept as a draft row)."""
    draft = await context.db(composer.start_draft, admin_id=user_id(update))
    await reply(update, render("broadcast_compose", id=draft.id))


async def broadcast_text(update: Update, context: Context) -> bool:
    """Text input: an admin with an empty draft is writing the broadcast."""
    uid = user_id(update)
    if not context.bot_data.roles.is_admin(uid) or update.message is None:
        return False
    text = update.message.text_html or ""
    draft, problem = await context.db(composer.take_text, uid, text)
    if draft is None:
        return False
    if problem is not None:
        await reply(update, render(f"broadcast_{problem}", length=len(text), limit=bc.MAX_TEXT))
        return True
    await _show_draft(update, context, draft)
    return True


async def _show_draft(update: Update, context: Context, draft: Broadcast) -> None:
    count = await context.db(composer.audience, draft)
    topics = [*TOPICS, bc.ALL_USERS]
    rows = [
        [button(label("choose_topic", name=label(f"topic_{t}")), f"bc:topic:{draft.id}:{t}")]
        for t in topics
    ]
    quiet = None
    if draft.topic:
        quiet, confirm = send_choice(context, f"bc:go:{draft.id}", count or 0)
        rows = [*confirm, *rows]
    topic_name = label(f"topic_{draft.topic}") if draft.topic else ""
    await reply(
        update,
        render("broadcast_preview", b=draft, topic_name=topic_name, count=count or 0, quiet=quiet),
    )
    await reply(update, draft.text, keyboard(rows))


@require_admin
async def broadcast_topic(update: Update, context: Context) -> None:
    """bc:topic:<id>:<topic> — choose who receives the draft."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, raw_id, topic = query.data.split(":")
    draft = await context.db(
        composer.choose_topic,
        draft_id=parse_int(raw_id) or 0,
        admin_id=user_id(update),
        topic=topic,
    )
    if draft is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await _show_draft(update, context, draft)


@require_admin
async def broadcast_go(update: Update, context: Context) -> None:
    """bc:go:<id>[:night] — confirmed: queue and launch (at night only when chosen)."""
    query = update.callback_query
    assert query is not None and query.data
    draft = await context.db(
        composer.queue_draft,
        draft_id=parse_int(query.data.split(":")[2]) or 0,
        admin_id=user_id(update),
        night=sent_at_night(query.data),
    )
    if draft is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    await reply(update, render("broadcast_started", b=draft))
    assert draft.id is not None
    launch(context.application, draft.id)


@require_admin
async def broadcast_list(update: Update, context: Context) -> None:
    """/broadcasts — recent broadcasts with their figures."""
    rows = await context.db(bc.recent_broadcasts)
    await reply(update, render("broadcast_list", rows=rows, kinds=_KINDS, statuses=_STATUSES))


@require_admin
async def broadcast_cancel(update: Update, context: Context) -> None:
    """/broadcast_cancel <id> — stop a queued or running broadcast (or drop a draft)."""
    number = parse_int(args_text(context))
    admin = user_id(update)
    cancelled = (
        await context.db(composer.cancel, broadcast_id=number, admin_id=admin) if number else None
    )
    await reply(update, render("broadcast_cancelled", b=cancelled, id=number or "?"))


@require_admin
async def broadcast_resend(update: Update, context: Context) -> None:
    """bc:resend:<id> — staff chose to send the uncertain deliveries of a broadcast again."""
    query = update.callback_query
    assert query is not None and query.data
    broadcast_id = parse_int(query.data.split(":")[2]) or 0
    count = await context.db(
        composer.resend_uncertain, broadcast_id=broadcast_id, admin_id=user_id(update)
    )
    await answer_query(
        update, render("broadcast_resent", count=count, id=broadcast_id), alert=True
    )
    if count:
        launch(context.application, broadcast_id)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("broadcast", broadcast_new),
    CommandHandler("broadcasts", broadcast_list),
    CommandHandler("broadcast_cancel", broadcast_cancel),
    CallbackQueryHandler(broadcast_topic, pattern=r"^bc:topic:\d+:[a-z]+$"),
    CallbackQueryHandler(broadcast_go, pattern=r"^bc:go:\d+(:night)?$"),
    CallbackQueryHandler(broadcast_resend, pattern=r"^bc:resend:\d+$"),
]
