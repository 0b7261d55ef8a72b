"""The webhook endpoint answers 200 only for an update it stored, 503 when it could not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.app import build_application
from bot.config import Settings
from bot.inbox import store
from bot.inbox.consumer import Consumer
from bot.inbox.late import LateNotices
from bot.inbox.webhook import SECRET_HEADER, webhook_route
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.request import SandboxRequest

SECRET = "hook_secret_123"
UPDATE = {
    "update_id": 7,
    "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/help"},
}


@pytest.fixture
def client(settings: Settings, file_engine: Engine) -> Iterator[TestClient]:
    app = build_application(settings, request=SandboxRequest(BotApiEmulator()), engine=file_engine)
    consumer = Consumer(app, "hook", LateNotices(app.bot))
    web = Starlette(routes=[webhook_route("hook", SECRET, app, consumer, LateNotices(app.bot))])
    with TestClient(web) as test_client:
        yield test_client


def post(client: TestClient, body: object, secret: str = SECRET) -> int:
    return client.post("/hook", json=body, headers={SECRET_HEADER: secret}).status_code


def test_an_update_is_stored_once_then_acknowledged(
    client: TestClient, file_engine: Engine
) -> None:
    assert post(client, UPDATE) == 200
    assert post(client, UPDATE) == 200  # Telegram re-delivers: stored once
    assert store.counts(file_engine) == {"pending": 1}


def test_a_wrong_secret_or_a_malformed_body_stores_nothing(
    client: TestClient, file_engine: Engine
) -> None:
    assert post(client, UPDATE, secret="wrong") == 403
    assert post(client, {"message": {}}) == 400
    assert post(client, [1, 2]) == 400
    assert store.counts(file_engine) == {}


def test_an_update_that_cannot_be_stored_is_refused_for_a_later_delivery(
    client: TestClient, file_engine: Engine
) -> None:
    with file_engine.begin() as connection:
        connection.execute(text("DROP TABLE inbox"))  # the database fails every insert
    assert post(client, UPDATE) == 503
