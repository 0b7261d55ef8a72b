"""群发: compose with the bot's composer (its draft row, recipients and preview), confirm, then
follow the delivery live with failures by reason; cancel. The bot's engine sends it.

The console has no Telegram connection: a queued broadcast is picked up by the bot's
`broadcasts:resume` job (within 20 s) and paced, retried and reported as any other.
"""

from __future__ import annotations

from html import escape

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.broadcasts import compose
from bot.broadcasts import services as bc
from bot.broadcasts.quiet import quiet_now
from bot.broadcasts.schedule import SendAfter, parse_send_after
from bot.console.auth import Staff
from bot.console.web import db, form_text, page, record, staff_page, state
from bot.models import Broadcast
from bot.render import is_blank, label, render
from bot.tips.subscriptions import TOPICS

__all__ = ["ROUTES", "broadcast_figures"]

AUDIENCES = (*TOPICS, bc.ALL_USERS)
NOTICES = {
    "started": "已开始群发。机器人会按 Telegram 的速度限制逐条发送，本页实时显示进度。",
    "tip": "已开始推送节日提示。本页实时显示进度。",
    "cancelled": "已取消群发：未发出的不再发送。",
    "already": "这个节日的提示今年已经发送过，不会重复发送。下面是那次推送。",
    "scheduled": (
        "已定时：到时间后机器人开始发送（夜间免打扰时段内则等到早上）。等待期间可以取消。"
    ),
}
SCHEDULE_ERRORS = {
    "format": "定时发送时间格式不对，请按“年-月-日 时:分”填写，例如 2027-01-20 09:30。",
    "past": "定时发送时间不能早于现在。",
    "too_far": "定时发送最多只能安排在 30 天以内。",
}


def broadcast_figures(session: Session, broadcast: Broadcast) -> dict[str, object]:
    """Status, counts and failures by reason of one broadcast (the page and its live JSON)."""
    assert broadcast.id is not None
    figures = bc.progress(session, broadcast.id)
    return {
        "status": broadcast.status,
        "sent": figures.sent,
        "failed": figures.failed,
        "blocked": figures.blocked,
        "uncertain": figures.uncertain,
        "remaining": figures.remaining,
        "total": figures.total,
        "failures": bc.failure_reasons(session, [broadcast.id]).get(broadcast.id, []),
    }


def _compose_page(
    request: Request,
    staff: Staff,
    *,
    typed: str = "",
    topic: str = "",
    send_at: str = "",
    send_after: SendAfter | None = None,
    errors: dict[str, str] | None = None,
    draft: Broadcast | None = None,
    count: int | None = None,
    status: int = 200,
) -> Response:
    preview = ""
    night_choice = False
    if draft is not None:
        name = label(f"topic_{draft.topic}") if draft.topic else ""
        console = state(request)
        # A scheduled broadcast meets quiet hours at its time, not now.
        when = (send_after.when if send_after else None) or console.clock()
        quiet = quiet_now(console.settings, when, count or 0)
        preview = render(
            "broadcast_preview", b=draft, topic_name=name, count=count or 0, quiet=quiet
        )
        night_choice = quiet is not None
    return page(
        request,
        "broadcast_new",
        staff=staff,
        status=status,
        typed=typed,
        topic=topic,
        send_at=send_at,
        send_after=send_after.when if send_after else None,
        errors=errors or {},
        draft=draft,
        preview=preview,
        night_choice=night_choice,
        audiences=[(t, label(f"topic_{t}")) for t in AUDIENCES],
        limit=bc.MAX_TEXT,
    )


@staff_page("admin")
async def new_page(request: Request, staff: Staff) -> Response:
    """The form: the message and who receives it."""
    return _compose_page(request, staff)


@staff_page("admin")
async def preview(request: Request, staff: Staff) -> Response:
    """Keep the text and topic as the admin's draft (as /broadcast does) and show the preview."""
    form = await request.form()
    typed, topic = form_text(form, "text"), form_text(form, "topic")
    send_at = form_text(form, "send_at")
    html = escape(typed, quote=False)  # sent with parse_mode HTML: typed text stays text
    errors: dict[str, str] = {}
    if is_blank(typed):
        errors["text"] = "请填写群发内容（不能只有空格）。"
    elif len(html) > bc.MAX_TEXT:
        errors["text"] = f"群发内容太长：{len(html)} 字，最多 {bc.MAX_TEXT} 字。"
    if topic not in AUDIENCES:
        errors["topic"] = "请选择发送对象。"
    schedule = _schedule(request, send_at)
    if schedule.error:
        errors["send_at"] = SCHEDULE_ERRORS[schedule.error]
    if errors:
        return _compose_page(
            request, staff, typed=typed, topic=topic, send_at=send_at, errors=errors, status=400
        )
    with db(request) as session:
        draft = compose.start_draft(session, admin_id=staff.user_id)
        compose.set_text(session, draft, html)
        chosen = compose.choose_topic(
            session, draft_id=draft.id or 0, admin_id=staff.user_id, topic=topic
        )
        count = compose.audience(session, chosen) if chosen else None
    return _compose_page(
        request, staff, typed=typed, topic=topic, send_at=send_at, send_after=schedule,
        draft=chosen, count=count,
    )  # fmt: skip


def _schedule(request: Request, send_at: str) -> SendAfter:
    console = state(request)
    return parse_send_after(send_at, tz=console.settings.tz, now=console.clock())


@staff_page("admin")
async def send(request: Request, staff: Staff) -> Response:
    """Confirmed: queue the draft (audited by the composer); the bot sends it."""
    broadcast_id = int(request.path_params["broadcast_id"])
    form = await request.form()
    night = form_text(form, "night") == "1"
    schedule = _schedule(request, form_text(form, "send_at"))  # checked again: time has passed
    if schedule.error:
        error = SCHEDULE_ERRORS[schedule.error] + "请重新预览。"
        return _detail(request, staff, broadcast_id, error=error)
    with db(request) as session:
        queued = compose.queue_draft(
            session,
            draft_id=broadcast_id,
            admin_id=staff.user_id,
            night=night,
            send_after=schedule.when,
        )
    if queued is None:
        return _detail(
            request, staff, broadcast_id, error="这份草稿已发送、已取消或不是您的草稿。"
        )
    done = "scheduled" if schedule.when else "started"
    return RedirectResponse(f"/broadcasts/{broadcast_id}?done={done}", status_code=303)


def _detail(
    request: Request, staff: Staff, broadcast_id: int, *, notice: str = "", error: str = ""
) -> Response:
    with db(request) as session:
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return page(request, "denied", staff=staff, reason="missing", status=404)
        figures = broadcast_figures(session, broadcast)
    return page(
        request,
        "broadcast",
        staff=staff,
        status=409 if error else 200,
        b=broadcast,
        f=figures,
        active=broadcast.status in bc.ACTIVE,
        notice=notice,
        error=error,
    )


@staff_page("admin")
async def detail_page(request: Request, staff: Staff) -> Response:
    """One broadcast: its message, live progress and failures by reason."""
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return _detail(request, staff, int(request.path_params["broadcast_id"]), notice=notice)


@staff_page("admin")
async def progress_json(request: Request, _staff: Staff) -> Response:
    """The figures the page polls while the broadcast is under way."""
    with db(request) as session:
        broadcast = session.get(Broadcast, int(request.path_params["broadcast_id"]))
        if broadcast is None:
            return JSONResponse({"error": "missing"}, status_code=404)
        return JSONResponse(broadcast_figures(session, broadcast))


@staff_page("admin")
async def cancel(request: Request, staff: Staff) -> Response:
    """Stop a queued or running broadcast (as /broadcast_cancel)."""
    broadcast_id = int(request.path_params["broadcast_id"])
    with db(request) as session:
        cancelled = bc.cancel_broadcast(session, broadcast_id)
        if cancelled is not None:
            record(session, staff, "broadcast:cancel", f"#{broadcast_id}")
    if cancelled is None:
        return _detail(request, staff, broadcast_id, error="这次群发已经结束，无法取消。")
    return RedirectResponse(f"/broadcasts/{broadcast_id}?done=cancelled", status_code=303)


ROUTES = [
    Route("/broadcasts/new", new_page, methods=["GET"]),
    Route("/broadcasts/new", preview, methods=["POST"]),
    Route("/broadcasts/{broadcast_id:int}", detail_page, methods=["GET"]),
    Route("/broadcasts/{broadcast_id:int}/progress", progress_json, methods=["GET"]),
    Route("/broadcasts/{broadcast_id:int}/send", send, methods=["POST"]),
    Route("/broadcasts/{broadcast_id:int}/cancel", cancel, methods=["POST"]),
]
