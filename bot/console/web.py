"""What every console route shares: the page renderer, the signed-in staff member, CSRF checks.

Pages are server-side HTML from bot/templates/console/ (autoescaped, like the bot's messages).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, wraps
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.config import Settings
from bot.console.auth import Staff, touch_session
from bot.db import session_scope
from bot.models import utcnow
from bot.render import TEMPLATES
from bot.render import environment as bot_environment
from bot.users import Roles, audit
from knowledge import default_index
from knowledge.search import KnowledgeIndex

__all__ = [
    "COOKIE",
    "MAX_FORM_BYTES",
    "XLSX",
    "ConsoleState",
    "Endpoint",
    "attachment",
    "db",
    "form_text",
    "local",
    "page",
    "parse_month",
    "record",
    "staff_page",
    "state",
]

COOKIE = "console_session"
MAX_FORM_BYTES = 64 * 1024  # a reply or an outcome text; uploads have their own limits
SHANGHAI = ZoneInfo("Asia/Shanghai")

Endpoint = Callable[[Request], Awaitable[Response]]
StaffEndpoint = Callable[[Request, Staff], Awaitable[Response]]


@dataclass
class ConsoleState:
    """Long-lived services of the console process (one per app)."""

    settings: Settings
    engine: Engine
    roles: Roles
    clock: Callable[[], datetime] = utcnow
    index: Callable[[], KnowledgeIndex] = default_index  # loaded on first use (jieba: ~1 s)


def state(request: Request) -> ConsoleState:
    """The app's ConsoleState."""
    value: ConsoleState = request.app.state.console
    return value


@contextmanager
def db(request: Request) -> Iterator[Session]:
    """A session for this request's unit of work."""
    with session_scope(state(request).engine) as session:
        yield session


def parse_month(value: str) -> date | None:
    """The first day of a month typed as 2027-03 (None when it is not one)."""
    try:
        year, month = (int(p) for p in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in Beijing time."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(SHANGHAI).strftime(fmt)


@cache
def environment() -> Environment:
    """The bot's environment (autoescape, strict, its filters) over the console's pages."""
    env = bot_environment().overlay(loader=FileSystemLoader(TEMPLATES / "console"))
    env.filters = {**env.filters, "local": local}  # an overlay shares the parent's dict
    return env


def page(
    request: Request, template: str, *, staff: Staff | None = None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    """Render templates/console/<template>.html.j2 with the layout's common values."""
    html = (
        environment()
        .get_template(f"{template}.html.j2")
        .render(staff=staff, path=request.url.path, **ctx)
    )
    return HTMLResponse(html, status_code=status)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(data: bytes, media_type: str, filename: str) -> Response:
    """A file download (Excel, CSV)."""
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def form_text(form: FormData, name: str) -> str:
    """A text field of a submitted form ('' when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def record(session: Session, staff: Staff, action: str, detail: str = "") -> None:
    """Write a console action to the audit log the bot uses (marked as from the console)."""
    audit(session, actor_id=staff.user_id, action=action, detail=f"{detail} [工作台]".strip())


def current_staff(request: Request) -> Staff | None:
    """The signed-in staff member, or None."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return None
    console = state(request)
    with db(request) as session:
        return touch_session(session, console.roles, token=token, now=console.clock())


def _content_length(request: Request) -> int:
    try:
        return int(request.headers.get("content-length", "0"))
    except ValueError:
        return 0


def staff_page(
    role: str = "inspector", *, max_body: int = MAX_FORM_BYTES
) -> Callable[[StaffEndpoint], Endpoint]:
    """Require a signed-in staff member with this role; POSTs must carry the session's CSRF."""

    def decorator(fn: StaffEndpoint) -> Endpoint:
        @wraps(fn)
        async def endpoint(request: Request) -> Response:
            staff = current_staff(request)
            if staff is None:
                if request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return page(request, "denied", reason="signin", status=401)
            if role == "admin" and not staff.is_admin:
                return page(request, "denied", staff=staff, reason="admin", status=403)
            if request.method == "POST":
                if _content_length(request) > max_body:
                    return page(request, "denied", staff=staff, reason="too_big", status=413)
                form = await request.form(max_files=1, max_fields=50)
                try:
                    if form_text(form, "csrf") != staff.csrf:
                        return page(request, "denied", staff=staff, reason="csrf", status=403)
                    return await fn(request, staff)
                finally:
                    await form.close()  # an uploaded file's temporary file
            return await fn(request, staff)

        return endpoint

    return decorator
