"""概览: the week at a glance, each figure linking to its page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Staff
from bot.console.overview import overview
from bot.console.web import db, page, staff_page, state

__all__ = ["ROUTES"]


@staff_page()
async def home(request: Request, staff: Staff) -> Response:
    """The overview page."""
    with db(request) as session:
        figures = overview(session, now=state(request).clock())
    return page(request, "overview", staff=staff, o=figures)


ROUTES = [Route("/", home, methods=["GET"])]
