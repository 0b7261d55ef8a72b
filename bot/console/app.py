"""The console's ASGI application: every area's routes on one Starlette app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.config import Settings
from bot.console.routes import (
    audit,
    broadcasts,
    campaign_form,
    campaigns,
    entry_requests,
    exam_paper,
    exams,
    overview,
    pending,
    public,
    qa,
    signin,
    tip_send,
    tips,
    unanswered,
)
from bot.console.web import ConsoleState, page
from bot.db import make_engine
from bot.schema import prepare
from bot.users import Roles

__all__ = ["create_app"]


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return page(request, "denied", reason="missing", status=status)


def create_app(settings: Settings, *, state: ConsoleState | None = None) -> Starlette:
    """Build the console on the bot's database (tables are created if missing)."""
    if state is None:
        engine = make_engine(settings.database_url)
        prepare(engine)  # SQLite is upgraded; PostgreSQL must be current
        roles = Roles(frozenset(settings.admin_user_ids), frozenset(settings.inspector_user_ids))
        state = ConsoleState(settings=settings, engine=engine, roles=roles)
    app = Starlette(
        routes=[
            *signin.ROUTES,
            *overview.ROUTES,
            *pending.ROUTES,
            *entry_requests.ROUTES,
            *campaign_form.ROUTES,
            *campaigns.ROUTES,
            *public.ROUTES,
            *qa.ROUTES,
            *unanswered.ROUTES,
            *exam_paper.ROUTES,
            *exams.ROUTES,
            *tips.ROUTES,
            *tip_send.ROUTES,
            *broadcasts.ROUTES,
            *audit.ROUTES,
        ],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.console = state
    return app
