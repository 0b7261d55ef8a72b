"""Fixtures of the records tests: the handlers' clock and reminders that are never held."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.config import Settings
from tests.records.helpers import at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The handlers' clock; a test moves it by setting clock[0]."""
    moment = [at(1, 10)]
    monkeypatch.setattr("handlers.records.common.utcnow", lambda: moment[0])
    return moment


@pytest.fixture(autouse=True)
def awake(settings: Settings) -> None:
    """Reminders go out whatever the real time is (quiet hours away from now)."""
    local = datetime.now(settings.tz)
    settings.quiet_hours_start = (local + timedelta(hours=3)).time().replace(microsecond=0)
    settings.quiet_hours_end = (local + timedelta(hours=4)).time().replace(microsecond=0)
