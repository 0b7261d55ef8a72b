"""问答检查: the month's most frequent unanswered questions, grouped by similarity, so whoever
maintains the knowledge base sees which entries are missing and how people phrase them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Staff
from bot.console.web import db, page, parse_month, staff_page, state
from bot.guidance.unanswered import SCOPES, month_bounds, unanswered_groups

__all__ = ["ROUTES"]

SHOWN = 50


@staff_page()
async def unanswered_page(request: Request, staff: Staff) -> Response:
    """Groups of ?month= (default this month); ?scope=all adds the suggested-only questions."""
    console = state(request)
    tz = console.settings.tz
    typed = request.query_params.get("month", "").strip()
    scope = request.query_params.get("scope", "none")
    errors: dict[str, str] = {}
    first = parse_month(typed) if typed else console.clock().astimezone(tz).date().replace(day=1)
    if first is None:
        errors["month"] = "月份格式应为 2027-03。"
    if scope not in SCOPES:
        errors["scope"] = "未知的范围。"
    found = None
    if first is not None and not errors:
        start, end = month_bounds(first, tz)
        with db(request) as session:
            found = unanswered_groups(
                session, console.index().analyzer, start=start, end=end, scope=scope
            )
    return page(
        request,
        "unanswered",
        staff=staff,
        status=400 if errors else 200,
        month=typed or (first.strftime("%Y-%m") if first else ""),
        scope=scope,
        errors=errors,
        found=found,
        shown=SHOWN,
    )


ROUTES = [Route("/qa/unanswered", unanswered_page, methods=["GET"])]
