"""/weekly (周排查) and /monthly (月调度): the summary, the typed parts, the confirmation."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.kit import Context
from bot.records import reports as svc
from bot.records import steps
from bot.records.enterprises import roles_in
from bot.render import label, render
from handlers.common import answer_query, button, keyboard, reply, user_id
from handlers.records.common import current_enterprise, now, role_names, today
from handlers.records.daily import text_error

__all__ = ["HANDLERS", "report_text"]


async def _ask(update: Update, draft: svc.Draft) -> None:
    """The next part to type, or the parts to confirm with the confirm button."""
    kind, field = draft.row.kind, draft.next_field
    if field is not None:
        await reply(update, render("rec_report_ask", field=field, limit=svc.MAX_TEXT * 2))
        return
    parts = [(label(f"rec_field_{f}"), draft.parts[f]) for f in svc.FIELDS[kind]]
    markup = keyboard([[button(label(f"rec_confirm_{kind}"), f"rec:rep:{draft.row.id}")]])
    await reply(update, render("rec_report_confirm", kind=kind, parts=parts), markup)


async def _start(update: Update, context: Context, kind: str) -> None:
    uid = user_id(update)
    e = await current_enterprise(update, context)
    if e is None or e.id is None:
        return
    if not await context.db(roles_in, uid, e.id) & svc.AUTHORS[kind]:
        who = role_names(svc.AUTHORS[kind])
        action = "填写周排查报告" if kind == "weekly" else "记录月调度会议"
        await reply(update, render("rec_not_allowed", roles=who, action=action))
        return
    found = await context.db(svc.start_report, e, kind, uid, today=today(context))
    if not isinstance(found, svc.Draft):
        await reply(update, render("rec_report_exists", kind=kind, r=found))
        return
    await reply(update, render("rec_summary", e=e, kind=kind, s=found.summary))
    await _ask(update, found)


async def weekly(update: Update, context: Context) -> None:
    """/weekly — the week's summary, then the analysis and the decisions (总监 or 安全员)."""
    await _start(update, context, "weekly")


async def monthly(update: Update, context: Context) -> None:
    """/monthly — the month's summary, then the 调度 meeting's minutes (主要负责人)."""
    await _start(update, context, "monthly")


async def report_text(update: Update, context: Context) -> bool:
    """Text interceptor: the next part of a weekly report or monthly minutes."""
    if update.message is None or update.message.text is None:
        return False
    uid, text = user_id(update), update.message.text
    taken = await context.db(steps.report_answer, uid, text)
    if taken is None:
        return False
    draft, error = taken
    if error or draft is None:
        await text_error(update, error, text, svc.MAX_TEXT * 2)
        return True
    await _ask(update, draft)
    return True


async def confirm(update: Update, context: Context) -> None:
    """rec:rep:<draft> — file the report once; a second press says it is filed."""
    query = update.callback_query
    assert query is not None and query.data
    draft, report, created, e = await context.db(
        steps.confirm_report, int(query.data.split(":")[2]), user_id(update), now=now()
    )
    if report is None or e is None or draft is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    kind = draft.row.kind
    await reply(
        update, render("rec_report_filed" if created else "rec_report_exists", kind=kind, r=report)
    )


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("weekly", weekly),
    CommandHandler("monthly", monthly),
    CallbackQueryHandler(confirm, pattern=r"^rec:rep:\d{1,9}$"),
]
