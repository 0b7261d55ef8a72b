"""Scheduled tip pushes on the real bot: the right local time, missed pushes, restarts, once only.

The bot runs on a clock these tests set (build_application's clock). The year is two years
ahead of the real one: every job then lies in the real future and none fires by itself during
a test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.config import Settings
from bot.db import create_tables, make_engine
from bot.models import Broadcast, ScheduledPush, utcnow
from bot.sandbox.driver import Driver
from scheduler.pushes import schedule_pushes, send_push, sweep_pushes
from tests.conftest import make_settings
from tests.scheduler.helpers import add_subscribers, copies, wait_broadcast, wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = utcnow().year + 2
TITLE = f"{YEAR}年劳动节食品安全消费提示"
SUBSCRIBERS = [7001, 7002, 7003]


def local(month: int, day: int, hour: int = 12) -> datetime:
    """A moment of YEAR in Shanghai, as the UTC datetime services take."""
    return datetime(YEAR, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


class Now:
    """The clock schedule_pushes reads when the bot starts."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __call__(self) -> datetime:
        return self.value


@pytest.fixture
def settings() -> Settings:
    # No quiet hours, so a tip that is due goes out whatever the real time of day.
    return make_settings(quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    # A file, not memory: a restart disposes the engine and must find the rows again.
    engine = make_engine(f"sqlite:///{tmp_path}/pushes.db")
    create_tables(engine)
    return engine


@pytest.fixture
def clock() -> Now:
    return Now(local(4, 20))


class Bot:
    """The bot, restartable on the same database and the same emulator."""

    def __init__(self, settings: Settings, engine: Engine, clock: Now) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.driver = Driver(settings, engine=engine, app_clock=clock)

    async def restart(self) -> Driver:
        emulator = self.driver.emulator
        await self.driver.stop()
        self.driver = Driver(
            self.settings, engine=self.engine, emulator=emulator, app_clock=self.clock
        )
        await self.driver.start()
        return self.driver


@pytest.fixture
async def bot(settings: Settings, engine: Engine, clock: Now) -> AsyncIterator[Bot]:
    running = Bot(settings, engine, clock)
    await running.driver.start()
    try:
        yield running
    finally:
        await running.driver.stop()
        running.driver.emulator.assert_clean()


def push_row(engine: Engine, occasion: str, year: int = YEAR) -> ScheduledPush:
    with Session(engine) as session:
        return session.exec(
            select(ScheduledPush).where(
                ScheduledPush.occasion == occasion, ScheduledPush.year == year
            )
        ).one()


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def job_time(driver: Driver, push_id: int | None) -> datetime:
    [job] = driver.application.job_queue.get_jobs_by_name(f"push:{push_id}")  # type: ignore[union-attr]
    assert job.next_t is not None
    return job.next_t


async def test_jobs_run_at_ten_in_shanghai_three_days_before(bot: Bot, engine: Engine) -> None:
    driver = bot.driver
    labour = push_row(engine, "labour_day")
    national = push_row(engine, "national_day")
    assert job_time(driver, labour.id) == datetime(YEAR, 4, 28, 10, 0, tzinfo=SHANGHAI)
    assert job_time(driver, national.id) == datetime(YEAR, 9, 28, 10, 0, tzinfo=SHANGHAI)
    # Running it again at another moment re-registers the same jobs at the same times.
    await schedule_pushes(driver.application, now=local(4, 21, 9))
    assert job_time(driver, labour.id) == datetime(YEAR, 4, 28, 10, 0, tzinfo=SHANGHAI)
    assert job_time(driver, labour.id).astimezone(UTC) == datetime(YEAR, 4, 28, 2, 0, tzinfo=UTC)


async def test_start_plans_this_year_and_next(bot: Bot, engine: Engine) -> None:
    assert push_row(engine, "spring_festival", YEAR + 1).status == "planned"
    assert push_row(engine, "labour_day").status == "planned"
    with Session(engine) as session:
        past = session.exec(
            select(ScheduledPush).where(
                ScheduledPush.year == YEAR, ScheduledPush.occasion == "consumer_day"
            )
        ).first()
    assert past is None  # 3·15 was over before the bot first started


async def test_push_missed_while_down_is_sent_if_the_occasion_has_not_begun(
    bot: Bot, engine: Engine, clock: Now
) -> None:
    add_subscribers(bot.driver, engine, SUBSCRIBERS, "tips")
    clock.value = local(4, 29, 18)  # down from the 20th to the evening of the 29th
    driver = await bot.restart()
    labour = push_row(engine, "labour_day")
    assert labour.status == "sent"
    assert labour.broadcast_id is not None
    await wait_broadcast(driver.application, labour.broadcast_id)
    assert [copies(driver, uid, TITLE) for uid in SUBSCRIBERS] == [1, 1, 1]
    assert driver.application.job_queue.get_jobs_by_name(f"push:{labour.id}") == ()  # type: ignore[union-attr]


async def test_push_missed_after_the_occasion_began_is_dropped(
    bot: Bot, engine: Engine, clock: Now
) -> None:
    add_subscribers(bot.driver, engine, SUBSCRIBERS, "tips")
    clock.value = local(5, 1, 8)  # back on the holiday itself
    driver = await bot.restart()
    labour = push_row(engine, "labour_day")
    assert (labour.status, labour.broadcast_id) == ("dropped", None)
    assert labour.note == "停机期间错过，节日已开始"
    assert [copies(driver, uid, TITLE) for uid in SUBSCRIBERS] == [0, 0, 0]
    assert count(engine, Broadcast) == 0
    # Later occasions are still planned.
    assert push_row(engine, "national_day").status == "planned"


async def test_restarts_neither_duplicate_rows_nor_resend(
    bot: Bot, engine: Engine, clock: Now
) -> None:
    add_subscribers(bot.driver, engine, SUBSCRIBERS, "tips")
    rows_before = count(engine, ScheduledPush)
    clock.value = local(4, 29, 18)
    driver = await bot.restart()
    labour = push_row(engine, "labour_day")
    assert labour.broadcast_id is not None
    await wait_broadcast(driver.application, labour.broadcast_id)
    await schedule_pushes(driver.application, now=local(4, 29, 19))
    clock.value = local(4, 30, 9)
    driver = await bot.restart()
    await schedule_pushes(driver.application, now=local(4, 30, 10))
    assert count(engine, ScheduledPush) == rows_before
    assert count(engine, Broadcast) == 1
    assert [copies(driver, uid, TITLE) for uid in SUBSCRIBERS] == [1, 1, 1]


async def test_send_push_twice_sends_once(bot: Bot, engine: Engine) -> None:
    driver = bot.driver
    add_subscribers(driver, engine, SUBSCRIBERS, "tips")
    labour = push_row(engine, "labour_day")
    assert labour.id is not None
    first = await send_push(driver.application, labour.id)
    assert first is not None
    assert await send_push(driver.application, labour.id) is None
    await wait_broadcast(driver.application, first)
    assert [copies(driver, uid, TITLE) for uid in SUBSCRIBERS] == [1, 1, 1]
    row = push_row(engine, "labour_day")
    assert (row.status, row.broadcast_id) == ("sent", first)
    with Session(engine) as session:
        broadcast = session.get(Broadcast, first)
        assert broadcast is not None
        assert (broadcast.key, broadcast.kind, broadcast.topic) == (
            f"tip:labour_day:{YEAR}",
            "tip",
            "tips",
        )
        assert broadcast.respect_quiet_hours is True
        assert broadcast.status == "done"


async def test_the_push_job_sends_the_tip(bot: Bot, engine: Engine) -> None:
    driver = bot.driver
    add_subscribers(driver, engine, SUBSCRIBERS, "tips")
    labour = push_row(engine, "labour_day")
    [job] = driver.application.job_queue.get_jobs_by_name(f"push:{labour.id}")  # type: ignore[union-attr]
    await job.run(driver.application)  # what the job queue does at 10:00 on the 28th
    row = push_row(engine, "labour_day")
    assert row.broadcast_id is not None
    await wait_broadcast(driver.application, row.broadcast_id)
    assert [copies(driver, uid, TITLE) for uid in SUBSCRIBERS] == [1, 1, 1]
    [tip] = [m for m in driver.emulator.messages(SUBSCRIBERS[0]) if TITLE in m.text]
    assert tip.html.startswith(f"<b>{TITLE}</b>")
    assert "/unsubscribe" in tip.text


async def test_a_push_whose_timer_was_lost_is_sent_once_by_any_workers_sweep(
    bot: Bot, engine: Engine, clock: Now, settings: Settings
) -> None:
    add_subscribers(bot.driver, engine, SUBSCRIBERS, "tips")
    other = Driver(settings, engine=engine, emulator=bot.driver.emulator, app_clock=clock)
    await other.start()
    try:
        assert "tips:sweep" in {j.name for j in other.application.job_queue.jobs()}  # type: ignore[union-attr]
        # The worker holding the push's timer died; the others sweep at the same moment.
        clock.value = local(4, 29, 18)
        await asyncio.gather(*(sweep_pushes(d.application) for d in (bot.driver, other)))
        labour = push_row(engine, "labour_day")
        assert labour.status == "sent"
        await wait_until(
            lambda: [copies(bot.driver, uid, TITLE) for uid in SUBSCRIBERS] == [1, 1, 1]
        )
        await sweep_pushes(other.application)  # later sweeps find nothing to do
        assert count(engine, Broadcast) == 1
        assert push_row(engine, "national_day").status == "planned"  # not due yet
    finally:
        await other.stop()
