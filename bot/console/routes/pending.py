"""待回复: left questions with what the bot made of them; reply, dismiss, CSV export.

Reply and dismiss use the bot's own services (bot.guidance.services) and reach the asker through
the outbox (bot/console/outbox.py): the bot delivers each message exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.broadcasts.services import MAX_TEXT
from bot.console.auth import Staff
from bot.console.outbox import delivery_status, queue_message
from bot.console.web import attachment, db, form_text, page, record, staff_page, state
from bot.guidance import entry_requests
from bot.guidance import services as guidance
from bot.models import PendingQuestion, QuestionLog
from bot.render import render

__all__ = ["ROUTES", "reply_key"]

RECENT = 20
NOTICES = {
    "replied": "已回复，机器人会把回复发给提问者。",
    "dismissed": "已忽略，并通知提问者。",
    "gone": "这条留言已被处理。",
    "marked": "已列入“需要新增问答”，维护知识库的同事会在那个列表里看到。",
}


@dataclass(frozen=True, slots=True)
class Row:
    """One queue item with the bot's answer or suggestion and its delivery state."""

    item: PendingQuestion
    log: QuestionLog | None
    delivery: str | None


def reply_key(item_id: int) -> str:
    """The outbox key of the message an asker gets about their item (one per item)."""
    return f"pending:{item_id}:notice"


def _rows(session: Session, items: list[PendingQuestion]) -> list[Row]:
    ids = [i.log_id for i in items if i.log_id is not None]
    logs = {
        log.id: log
        for log in session.exec(select(QuestionLog).where(col(QuestionLog.id).in_(ids))).all()
    }
    return [
        Row(
            i,
            logs.get(i.log_id) if i.log_id else None,
            delivery_status(session, reply_key(i.id or 0)) if i.status != "open" else None,
        )
        for i in items
    ]


def _render(
    request: Request,
    staff: Staff,
    *,
    errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    index = state(request).index()
    with db(request) as session:
        items, total = guidance.list_pending(session, limit=50)
        done = session.exec(
            select(PendingQuestion)
            .where(PendingQuestion.status != "open")
            .order_by(col(PendingQuestion.handled_at).desc())
            .limit(RECENT)
        ).all()
        open_rows, done_rows = _rows(session, items), _rows(session, list(done))
        marked = entry_requests.marked_ids(
            session, [r.item.id or 0 for r in open_rows + done_rows]
        )
    return page(
        request,
        "pending",
        staff=staff,
        status=status,
        rows=open_rows,
        total=total,
        done=done_rows,
        entries=index.by_id,
        errors=errors or {},
        typed=typed or {},
        notice=notice,
        marked=marked,
        max_note=entry_requests.MAX_NOTE,
    )


@staff_page("admin")
async def pending_page(request: Request, staff: Staff) -> Response:
    """The open queue and the recently handled items."""
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return _render(request, staff, notice=notice)


@staff_page("admin")
async def reply(request: Request, staff: Staff) -> Response:
    """Answer one item; the asker gets it in Telegram exactly once."""
    item_id = int(request.path_params["item_id"])
    form = await request.form()
    text = form_text(form, "answer")
    error = ""
    if not text:
        error = "请填写回复内容。"
    elif len(text) > MAX_TEXT:
        error = f"回复太长：{len(text)} 字，最多 {MAX_TEXT} 字。"
    if error:
        return _render(request, staff, errors={item_id: error}, typed={item_id: text}, status=400)
    with db(request) as session:
        item = guidance.reply_pending(session, item_id=item_id, admin_id=staff.user_id, text=text)
        if item is None:
            return RedirectResponse("/pending?done=gone", status_code=303)
        queue_message(
            session,
            key=reply_key(item_id),
            kind="staff_reply",
            chat_id=item.chat_id,
            text=render("staff_reply", item=item),
            actor_id=staff.user_id,
        )
        record(session, staff, "pending:reply", str(item_id))
    return RedirectResponse("/pending?done=replied", status_code=303)


@staff_page("admin")
async def dismiss(request: Request, staff: Staff) -> Response:
    """Close one item without an answer; the asker is told."""
    item_id = int(request.path_params["item_id"])
    with db(request) as session:
        item = guidance.dismiss_pending(session, item_id=item_id, admin_id=staff.user_id)
        if item is None:
            return RedirectResponse("/pending?done=gone", status_code=303)
        text = render("pending_dismissed", item=item)
        queue_message(
            session,
            key=reply_key(item_id),
            kind="staff_dismiss",
            chat_id=item.chat_id,
            text=text,
            actor_id=staff.user_id,
        )
        record(session, staff, "pending:dismiss", str(item_id))
    return RedirectResponse("/pending?done=dismissed", status_code=303)


@staff_page("admin")
async def export_csv(request: Request, staff: Staff) -> Response:
    """Every queued question as CSV (the bot's /pending_export)."""
    with db(request) as session:
        data = guidance.export_pending_csv(session, state(request).settings.tz)
        record(session, staff, "pending:export")
    return attachment(data, "text/csv; charset=utf-8", "pending.csv")


ROUTES = [
    Route("/pending", pending_page, methods=["GET"]),
    Route("/pending.csv", export_csv, methods=["GET"]),
    Route("/pending/{item_id:int}/reply", reply, methods=["POST"]),
    Route("/pending/{item_id:int}/dismiss", dismiss, methods=["POST"]),
]
