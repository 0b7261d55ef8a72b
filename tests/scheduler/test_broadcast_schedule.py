"""Scheduled broadcasts on the real bot and the sandbox: not before send_after, then as usual.

The bot's clock (Driver app_clock) is an object the test moves forward; quiet hours are set to
the production 21:00-08:00 Beijing time, so noon is outside them and 22:00 inside.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from bot.broadcasts import services as svc
from bot.config import Settings
from bot.db import create_tables, make_engine, session_scope
from bot.sandbox.driver import Driver
from bot.sandbox.limits import Limits
from scheduler.broadcasts import resume_all, run_broadcast
from tests.conftest import ADMIN, make_settings
from tests.scheduler.helpers import (
    add_subscribers,
    broadcast_row,
    copies,
    statuses,
    wait_broadcast,
    wait_until,
)

NOON = datetime(2027, 1, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
TEXT = "本周六上午城关广场食品安全宣传活动"
SUBSCRIBERS = [8301, 8302, 8303]


class BotClock:
    """The bot's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings() -> Settings:
    return make_settings(
        broadcast_rate=100,
        telegram_flood_limit=300,
        quiet_hours_start=time(21, 0),
        quiet_hours_end=time(8, 0),
    )


@pytest.fixture
def clock() -> BotClock:
    return BotClock(NOON)


def new_driver(settings: Settings, engine: Engine, clock: BotClock) -> Driver:
    return Driver(settings, engine=engine, limits=Limits(global_per_second=300), app_clock=clock)


@pytest.fixture
async def driver(settings: Settings, engine: Engine, clock: BotClock) -> AsyncIterator[Driver]:
    bot = new_driver(settings, engine, clock)
    await bot.start()
    bot.user(ADMIN)
    try:
        yield bot
    finally:
        await bot.stop()
    bot.emulator.assert_clean()


def schedule(engine: Engine, send_after: datetime, *, night: bool = False) -> int:
    with session_scope(engine) as session:
        broadcast = svc.create_broadcast(
            session, kind="admin", topic="campaigns", text=TEXT, progress_chat_id=ADMIN,
            respect_quiet_hours=not night,
        )  # fmt: skip
        broadcast.send_after = send_after
        session.add(broadcast)
        session.commit()
        assert broadcast.id is not None
        return broadcast.id


def launched(driver: Driver, broadcast_id: int) -> bool:
    return broadcast_id in driver.application.bot_data.extras.get("broadcast_tasks", {})


def received(driver: Driver) -> list[int]:
    return [copies(driver, uid, TEXT) for uid in SUBSCRIBERS]


async def test_not_sent_before_its_time_and_sent_after(
    driver: Driver, engine: Engine, clock: BotClock
) -> None:
    add_subscribers(driver, engine, SUBSCRIBERS, "campaigns")
    broadcast_id = schedule(engine, NOON + timedelta(hours=1))
    clock.now = NOON + timedelta(minutes=59, seconds=59)
    await resume_all(driver.application)
    await run_broadcast(driver.application, broadcast_id)  # a direct start is refused too
    assert not launched(driver, broadcast_id)
    row = broadcast_row(engine, broadcast_id)
    assert (row.status, row.started_at, row.lease_until) == ("queued", None, None)
    assert statuses(engine, broadcast_id) == {}
    assert received(driver) == [0, 0, 0]
    await driver.send(ADMIN, "/broadcasts")  # the bot's list shows the time while waiting
    assert copies(driver, ADMIN, f"#{broadcast_id}") == 1
    assert copies(driver, ADMIN, "定时：2027-01-20 13:00") == 1
    clock.now = NOON + timedelta(hours=1)
    await resume_all(driver.application)
    await wait_broadcast(driver.application, broadcast_id)
    assert received(driver) == [1, 1, 1]
    assert broadcast_row(engine, broadcast_id).status == "done"


async def due_at_ten_pm(driver: Driver, engine: Engine, clock: BotClock, *, night: bool) -> int:
    """A broadcast scheduled for 22:00 Beijing time, the bot's clock at 22:00, a resume run."""
    add_subscribers(driver, engine, SUBSCRIBERS, "campaigns")
    broadcast_id = schedule(engine, NOON + timedelta(hours=10), night=night)
    clock.now = NOON + timedelta(hours=10)
    await resume_all(driver.application)
    return broadcast_id


async def test_a_time_in_quiet_hours_waits_for_the_morning(
    driver: Driver, engine: Engine, clock: BotClock
) -> None:
    broadcast_id = await due_at_ten_pm(driver, engine, clock, night=False)
    await wait_until(lambda: broadcast_row(engine, broadcast_id).status == "running")
    await wait_until(lambda: set(statuses(engine, broadcast_id).values()) == {"pending"})
    assert received(driver) == [0, 0, 0]  # claimed, then held by quiet hours
    clock.now = NOON + timedelta(hours=20)  # 08:00 the next morning
    await wait_broadcast(driver.application, broadcast_id)
    assert received(driver) == [1, 1, 1]
    assert broadcast_row(engine, broadcast_id).status == "done"


async def test_sent_at_its_night_time_when_staff_chose_night(
    driver: Driver, engine: Engine, clock: BotClock
) -> None:
    broadcast_id = await due_at_ten_pm(driver, engine, clock, night=True)
    await wait_broadcast(driver.application, broadcast_id)
    assert received(driver) == [1, 1, 1]


async def test_a_restart_while_waiting_sends_it_once_due(
    settings: Settings, clock: BotClock, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/scheduled.db")  # outlives the first bot
    create_tables(engine)
    first = new_driver(settings, engine, clock)
    await first.start()
    add_subscribers(first, engine, SUBSCRIBERS, "campaigns")
    broadcast_id = schedule(engine, NOON + timedelta(hours=2))
    await resume_all(first.application)
    assert not launched(first, broadcast_id)
    await first.stop()
    assert broadcast_row(engine, broadcast_id).status == "queued"
    clock.now = NOON + timedelta(hours=2, minutes=1)
    second = new_driver(settings, engine, clock)
    for uid in (ADMIN, *SUBSCRIBERS):  # the chats exist before its start-up resume sends
        second.user(uid)
    await second.start()  # its start-up resume finds the broadcast due
    try:
        await resume_all(second.application)
        await wait_broadcast(second.application, broadcast_id)
        assert received(second) == [1, 1, 1]
        assert statuses(engine, broadcast_id) == dict.fromkeys(SUBSCRIBERS, "sent")
    finally:
        await second.stop()
