"""节日提示与群发: the year's calendar with push dates, each tip as Telegram shows it, setting the
date of 开学季/宣传周 or a custom event (as /occasion_set), and the latest broadcasts (admins)."""

from __future__ import annotations

from datetime import date
from functools import cache

from sqlmodel import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.broadcasts.services import MAX_TEXT, failure_reasons, recent_broadcasts
from bot.console.auth import Staff
from bot.console.web import db, form_text, page, record, staff_page, state
from bot.models import ScheduledPush
from knowledge.tips import Tip, load_tips
from scheduler.calendar import ADMIN_SET, NAMES
from scheduler.tips_schedule import (
    calendar_rows,
    ensure_schedule,
    occasion_push_at,
    set_custom_occasion,
    tip_text,
)

__all__ = ["ROUTES", "tips"]

STATUS = {"planned": "待推送", "sent": "已推送", "dropped": "已取消"}
OCCASION_FIELDS = ("occasion", "name", "day", "text")
MAX_NAME = 30
CUSTOM = "custom"


@cache
def tips() -> dict[str, Tip]:
    """The tips of the knowledge base (read once per process)."""
    return load_tips()


def _tips_page(
    request: Request,
    staff: Staff,
    *,
    year: int | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    console = state(request)
    settings = console.settings
    raw = request.query_params.get("year", "")
    valid = raw.isdigit() and 1901 <= int(raw) <= 2099
    year = year or (int(raw) if valid else console.clock().astimezone(settings.tz).year)
    error = "" if not raw or valid else "年份应在 1901-2099 之间。"
    with db(request) as session:
        occasions = calendar_rows(session, year)
        pushes = {
            p.occasion: p
            for p in session.exec(select(ScheduledPush).where(ScheduledPush.year == year)).all()
        }
        broadcasts = recent_broadcasts(session, limit=20)
        failures = failure_reasons(session, [b.id for b, _ in broadcasts if b.id is not None])
    rows = [
        (
            o,
            occasion_push_at(settings, o.day),
            pushes.get(o.key),
            tip_text(tips(), o),
        )
        for o in occasions
    ]
    return page(
        request,
        "tips",
        staff=staff,
        status=400 if error else status,
        year=year,
        typed=raw,
        error=error,
        rows=rows,
        status_names=STATUS,
        broadcasts=broadcasts,
        failures=failures,
        settable=[(k, NAMES[k]) for k in ADMIN_SET],
        occasion=typed or {},
        occasion_errors=errors or {},
        done=request.query_params.get("done", ""),
        max_text=MAX_TEXT,
        days_before=settings.tip_days_before,
        today=console.clock().astimezone(settings.tz).date(),
    )


@staff_page("admin")
async def tips_page(request: Request, staff: Staff) -> Response:
    """The calendar of a year (?year=) and the latest broadcasts."""
    return _tips_page(request, staff)


def check_occasion(form: FormData, today: date) -> tuple[dict[str, str], dict[str, str]]:
    """The typed fields and, by field, why they cannot be saved (Chinese)."""
    typed = {name: form_text(form, name) for name in OCCASION_FIELDS}
    errors: dict[str, str] = {}
    if typed["occasion"] not in (*ADMIN_SET, CUSTOM):
        errors["occasion"] = "请选择活动。"
    try:
        if date.fromisoformat(typed["day"]) < today:
            errors["day"] = "日期已过，请填写今天或以后的日期。"
    except ValueError:
        errors["day"] = "日期格式应为 2027-09-01。"
    if typed["occasion"] == CUSTOM:
        if not 1 <= len(typed["name"]) <= MAX_NAME:
            errors["name"] = f"请填写活动名称（最多 {MAX_NAME} 字）。"
        if not typed["text"]:
            errors["text"] = "自定义活动需要填写提示正文。"
        elif len(typed["text"]) > MAX_TEXT:
            errors["text"] = f"提示正文太长：{len(typed['text'])} 字，最多 {MAX_TEXT} 字。"
    return typed, errors


@staff_page("admin")
async def set_occasion(request: Request, staff: Staff) -> Response:
    """Set the date of 开学季/宣传周 or add a custom event; its push is planned (audited)."""
    console = state(request)
    settings = console.settings
    today = console.clock().astimezone(settings.tz).date()
    typed, errors = check_occasion(await request.form(), today)
    if errors:
        return _tips_page(request, staff, typed=typed, errors=errors, status=400)
    day = date.fromisoformat(typed["day"])
    custom = typed["occasion"] == CUSTOM
    with db(request) as session:
        row = set_custom_occasion(
            session,
            key=typed["occasion"],
            day=day,
            name=typed["name"] if custom else None,
            text=typed["text"] if custom else None,
        )
        ensure_schedule(session, settings, [day.year], today=today)
        record(session, staff, "occasion:set", f"{row.key} {day.isoformat()}")
    return RedirectResponse(f"/tips?year={day.year}&done=occasion#calendar", status_code=303)


ROUTES = [
    Route("/tips", tips_page, methods=["GET"]),
    Route("/tips/occasion", set_occasion, methods=["POST"]),
]
