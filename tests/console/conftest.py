"""Console fixtures: the ASGI app on the test database, signed-in clients per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from bot.config import Settings
from bot.console.app import create_app
from bot.console.auth import create_link
from bot.console.web import ConsoleState
from bot.models import User, utcnow
from bot.users import Roles

CITIZEN = 30001
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def console_state(settings: Settings, engine: Engine) -> ConsoleState:
    roles = Roles(frozenset(settings.admin_user_ids), frozenset(settings.inspector_user_ids))
    return ConsoleState(settings=settings, engine=engine, roles=roles)


def sign_in(client: TestClient, engine: Engine, user_id: int) -> str:
    """Open a fresh link as this user; return the session's CSRF token ('' if refused)."""
    with Session(engine) as session:
        if session.get(User, user_id) is None:
            session.add(User(id=user_id, display_name=f"u{user_id}"))
            session.commit()
        token = create_link(session, user_id=user_id, now=utcnow())
    assert client.get(f"/login/{token}").status_code == 200
    response = client.post(f"/login/{token}", follow_redirects=False)
    if response.status_code != 303:
        return ""
    home = client.get("/")
    found = CSRF_RE.search(home.text)
    assert found, home.text
    return found.group(1)


@pytest.fixture
def client_for(settings: Settings, engine: Engine) -> Iterator[Callable[[int | None], TestClient]]:
    """A TestClient per call, signed in as the given user (None: anonymous)."""
    clients: list[TestClient] = []

    def make(user_id: int | None) -> TestClient:
        client = TestClient(create_app(settings, state=console_state(settings, engine)))
        client.__enter__()
        clients.append(client)
        if user_id is not None:
            client.csrf = sign_in(client, engine, user_id)  # type: ignore[attr-defined]
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
