"""Shared pieces of the 抽考 tests: a movable clock, the answer key of a sitting, drivers.

Test modules import the *_fixture functions; the fixtures are used by their short names.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import create_tables, make_engine
from bot.exams.bank import Bank, load_exam_bank
from bot.models import Attempt, AttemptItem, Exam
from bot.sandbox.driver import Driver
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.state import StoredMessage

# Real time, so that the jobs PTB schedules (at real deadlines) never fire during a test.
T0 = datetime.now(UTC).replace(microsecond=0)
CODE_RE = re.compile(r"start=exam_([A-Z0-9]+)")


class FakeClock:
    """The bot's clock for the 抽考 handlers; only moves when a test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(name="clock")
def clock_fixture() -> FakeClock:
    """A controllable clock for the bot."""
    return FakeClock()


@pytest.fixture(name="app_clock")
def app_clock_fixture(clock: FakeClock) -> FakeClock:
    """The bot under test (the driver fixture) runs on the controllable clock."""
    return clock


@pytest.fixture(name="bank")
def bank_fixture(session: Session) -> Bank:
    return load_exam_bank(session)


@contextmanager
def session_of(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def seed_rng(driver: Driver, seed: int = 7) -> None:
    """Deterministic draws and codes for this driver's app."""
    driver.application.bot_data.rng = random.Random(seed)


def key_labels(engine: Engine, attempt_id: int, position: int, bank: Bank) -> list[int]:
    """The display indexes of the right options of one question of a sitting."""
    with session_of(engine) as session:
        item = session.get(AttemptItem, (attempt_id, position))
        assert item is not None
    order = [int(p) for p in item.option_order.split(",")]
    return sorted(order.index(i) for i in bank.by_id[item.question_id].answer)


def question_type(engine: Engine, attempt_id: int, position: int, bank: Bank) -> str:
    with session_of(engine) as session:
        item = session.get(AttemptItem, (attempt_id, position))
        assert item is not None
    return bank.by_id[item.question_id].type


def attempt_of(engine: Engine, user_id: int) -> Attempt:
    with session_of(engine) as session:
        found = session.exec(
            select(Attempt).where(col(Attempt.user_id) == user_id).order_by(col(Attempt.id).desc())
        ).first()
    assert found is not None
    return found


def exam_by_code(engine: Engine, code: str) -> Exam:
    with session_of(engine) as session:
        found = session.exec(select(Exam).where(col(Exam.code) == code)).first()
    assert found is not None
    return found


def code_in(message: StoredMessage) -> str:
    match = CODE_RE.search(message.text or "")
    assert match, message.text
    return match.group(1)


@pytest.fixture(name="file_engine")
def file_engine_fixture(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite file: it outlives a bot's shutdown (engine.dispose), as a restart needs."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    create_tables(engine)
    yield engine
    engine.dispose()


def new_driver(
    settings: Settings, engine: Engine, clock: FakeClock, emulator: BotApiEmulator | None = None
) -> Driver:
    """A bot process on this database (pass the first one's emulator for a restart)."""
    return Driver(settings, engine=engine, emulator=emulator, app_clock=clock)
