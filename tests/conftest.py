"""Shared fixtures: clean settings, an in-memory database, the bot driven through the sandbox."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, time

os.environ.setdefault("PTB_TIMEDELTA", "1")

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.db import create_tables, make_engine
from bot.sandbox.driver import Driver
from bot.sandbox.limits import Limits

ADMIN = 900001
INSPECTOR = 900002
SETTING_NAMES = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "ADMIN_USER_IDS",
    "INSPECTOR_USER_IDS", "TIMEZONE", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_PORT",
    "CONSOLE_URL",
)  # fmt: skip


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's .env or environment settings."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """A command run in a test (python -m bot ...) sets up logging; the next test starts clean."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def make_settings(**overrides: object) -> Settings:
    """Settings for tests: in-memory SQLite, one admin, one inspector, no .env.

    No quiet hours (00:00-00:00), so a broadcast goes out whatever the real time of day;
    quiet-hour tests set the window and move the bot's clock into it.
    """
    values: dict[str, object] = {
        "database_url": "sqlite://",
        "admin_user_ids": [ADMIN],
        "inspector_user_ids": [INSPECTOR],
        "quiet_hours_start": time(0, 0),
        "quiet_hours_end": time(0, 0),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    create_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app_clock() -> Callable[[], datetime] | None:
    """The bot's clock (Context.now): real time, unless a test module overrides this fixture."""
    return None


@pytest.fixture
async def driver(
    settings: Settings, engine: Engine, app_clock: Callable[[], datetime] | None
) -> AsyncIterator[Driver]:
    """The real Application on the in-process emulator; fails the test on any spec violation.

    A test acts faster than any person, so private chats tolerate longer bursts here; the global
    and group limits stay Telegram's. Flood behaviour itself is tested with the default Limits.
    """
    bot = Driver(settings, engine=engine, limits=Limits(private_burst=50), app_clock=app_clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
    bot.emulator.assert_clean()


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests run in CI (.ci/run sets it)")
    return url
