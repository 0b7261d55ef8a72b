"""The exam deadline sweep: a sitting whose timer died with its worker is submitted once."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.render import label
from bot.sandbox.driver import Driver
from scheduler.exams import sweep_exams
from tests.conftest import INSPECTOR
from tests.exam_helpers import (  # the *_fixture imports register fixtures
    FakeClock,
    app_clock_fixture,  # noqa: F401
    attempt_of,
    clock_fixture,  # noqa: F401
    code_in,
    file_engine_fixture,  # noqa: F401
    new_driver,
)

CANDIDATE = 5101


async def start_sitting(driver: Driver) -> None:
    await driver.send(INSPECTOR, "/exam_new 某某超市 食品销售 安全员 西山镇 刘一")
    await driver.press(INSPECTOR, driver.last(INSPECTOR), label("exam_skip"))
    replies = await driver.press(INSPECTOR, driver.last(INSPECTOR), label("exam_issue"))
    replies = await driver.send(CANDIDATE, f"/start exam_{code_in(replies[-1])}")
    await driver.press(CANDIDATE, replies[-1], label("exam_start"))


async def test_a_sitting_whose_timer_died_is_submitted_once_by_any_workers_sweep(
    settings: Settings, file_engine: Engine, clock: FakeClock
) -> None:
    first = new_driver(settings, file_engine, clock)
    await first.start()
    second = new_driver(settings, file_engine, clock, emulator=first.emulator)
    await second.start()
    try:
        assert "exams:sweep" in {j.name for j in second.application.job_queue.jobs()}  # type: ignore[union-attr]
        await start_sitting(first)
        # The worker holding the deadline timer is gone: its job never runs.
        attempt = attempt_of(file_engine, CANDIDATE)
        first.application.job_queue.scheduler.remove_job(f"exam-submit-{attempt.id}")  # type: ignore[union-attr]
        assert await sweep_exams(second.application) == 0  # not due yet: nothing to do
        clock.advance(minutes=31)
        done = await asyncio.gather(
            sweep_exams(first.application), sweep_exams(second.application)
        )
        assert sorted(done) == [0, 1]
        assert attempt_of(file_engine, CANDIDATE).status == "submitted"
        notices = [m for m in first.emulator.messages(INSPECTOR) if "抽考结果" in (m.text or "")]
        assert len(notices) == 1 and "时间到自动交卷" in (notices[0].text or "")
    finally:
        await second.stop()
        await first.stop()
