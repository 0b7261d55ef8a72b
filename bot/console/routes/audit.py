"""审计日志: every staff action from the bot and the console, filterable (admins)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.audit_log import action_names, parse_filter, search
from bot.console.auth import Staff
from bot.console.web import db, page, staff_page

__all__ = ["ROUTES"]

FIELDS = ("actor", "action", "start", "end", "text")


@staff_page("admin")
async def audit_page(request: Request, staff: Staff) -> Response:
    """The filter form and the newest matching entries."""
    typed = {name: request.query_params.get(name, "") for name in FIELDS}
    flt = parse_filter(typed)
    with db(request) as session:
        rows = [] if flt.errors else search(session, flt)
        actions = action_names(session)
    status = 400 if flt.errors else 200
    return page(
        request,
        "audit",
        staff=staff,
        status=status,
        rows=rows,
        typed=typed,
        errors=flt.errors,
        actions=actions,
    )


ROUTES = [Route("/audit", audit_page, methods=["GET"])]
