"""节日提示与群发: the year's calendar with push dates, each tip as Telegram shows it, and the
broadcasts with live progress and failures by reason (admins). Sending stays in the bot."""

from __future__ import annotations

from functools import cache

from sqlmodel import Session, col, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.broadcasts.services import recent_broadcasts
from bot.console.auth import Staff
from bot.console.web import db, page, staff_page, state
from bot.models import Delivery, ScheduledPush
from knowledge.tips import Tip, load_tips
from scheduler.calendar import push_time
from scheduler.tips_schedule import calendar_rows, tip_text

__all__ = ["ROUTES"]

STATUS = {"planned": "待推送", "sent": "已推送", "dropped": "已取消"}


@cache
def _tips() -> dict[str, Tip]:
    return load_tips()


def _failures(session: Session, ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    rows = session.exec(
        select(Delivery.broadcast_id, Delivery.error, func.count())
        .where(
            col(Delivery.broadcast_id).in_(ids),
            col(Delivery.status).in_(("failed", "blocked", "uncertain")),
        )
        .group_by(col(Delivery.broadcast_id), col(Delivery.error))
    ).all()
    found: dict[int, list[tuple[str, int]]] = {}
    for broadcast_id, error, count in rows:
        found.setdefault(broadcast_id, []).append((error or "未知原因", int(count)))
    return found


@staff_page("admin")
async def tips_page(request: Request, staff: Staff) -> Response:
    """The calendar of a year (?year=) and the latest broadcasts."""
    console = state(request)
    settings = console.settings
    this_year = console.clock().astimezone(settings.tz).year
    raw = request.query_params.get("year", "")
    valid = raw.isdigit() and 1901 <= int(raw) <= 2099
    year = int(raw) if valid else this_year
    error = "" if not raw or valid else "年份应在 1901-2099 之间。"
    with db(request) as session:
        occasions = calendar_rows(session, year)
        pushes = {
            p.occasion: p
            for p in session.exec(select(ScheduledPush).where(ScheduledPush.year == year)).all()
        }
        broadcasts = recent_broadcasts(session, limit=20)
        failures = _failures(session, [b.id for b, _ in broadcasts if b.id is not None])
    rows = [
        (
            o,
            push_time(
                o.day,
                days_before=settings.tip_days_before,
                at=settings.tip_push_time,
                tz=settings.tz,
            ),
            pushes.get(o.key),
            tip_text(_tips(), o),
        )
        for o in occasions
    ]
    return page(
        request,
        "tips",
        staff=staff,
        status=400 if error else 200,
        year=year,
        typed=raw,
        error=error,
        rows=rows,
        status_names=STATUS,
        broadcasts=broadcasts,
        failures=failures,
    )


ROUTES = [Route("/tips", tips_page, methods=["GET"])]
