"""The consumer on the real bot: a transient failure is retried without an apology, a
permanent one is apologised for once, a long wait earns one 稍后回复, an answered update is
never run again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.inbox import store
from bot.inbox.consumer import Consumer
from bot.inbox.late import LateNotices
from bot.inbox.retry import MAX_ATTEMPTS
from bot.models import InboxUpdate, utcnow
from bot.render import render
from bot.sandbox.driver import Driver
from bot.sandbox.limits import Limits
from bot.sandbox.workers import wait_for

USER = 4242


@pytest.fixture
async def bot(settings: Settings, file_engine: Engine) -> AsyncIterator[Driver]:
    driver = Driver(settings, engine=file_engine, limits=Limits(private_burst=50))
    await driver.start()
    consumer = Consumer(driver.application, "test-worker", LateNotices(driver.application.bot))
    running = asyncio.create_task(consumer.run())
    driver.consumer = consumer  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        consumer.stop()
        await running
        await driver.stop()
    driver.emulator.assert_clean()


def store_help(bot: Driver, *, waited: timedelta = timedelta(0)) -> int:
    update = bot.emulator.user(USER, "王").send("/help")
    bot.emulator.updates.pop_first()  # the inbox has it: nobody polls the emulator here
    engine = bot.application.bot_data.engine
    store.add(engine, [update], now=utcnow() - waited)
    bot.consumer.wake()  # type: ignore[attr-defined]
    return int(update["update_id"])


def texts(bot: Driver) -> list[str]:
    return [m.text or "" for m in bot.emulator.messages(USER)]


def row(bot: Driver, update_id: int) -> InboxUpdate:
    from sqlmodel import Session, select

    with Session(bot.application.bot_data.engine) as session:
        return session.exec(select(InboxUpdate).where(InboxUpdate.update_id == update_id)).one()


async def settled(bot: Driver, update_id: int) -> InboxUpdate:
    await wait_for(lambda: row(bot, update_id).state in ("done", "failed"), timeout=20)
    return row(bot, update_id)


async def test_a_network_failure_is_retried_without_an_apology(bot: Driver) -> None:
    bot.emulator.inject_failure("sendMessage", 502, times=1)
    update_id = store_help(bot)
    done = await settled(bot, update_id)
    assert (done.state, done.attempts, done.last_error) == ("done", 2, "NetworkError")
    assert len(texts(bot)) == 1 and "/ask" in texts(bot)[0]
    assert render("error") not in texts(bot)


async def test_a_permanent_failure_is_apologised_for_once(bot: Driver) -> None:
    bot.emulator.inject_failure("sendMessage", 400, "Bad Request: chat not found", times=1)
    update_id = store_help(bot)
    failed = await settled(bot, update_id)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "BadRequest")
    bot.emulator.take_violations()
    assert texts(bot) == [render("error")]


async def test_the_last_attempt_gives_up_with_the_apology(bot: Driver) -> None:
    engine = bot.application.bot_data.engine
    bot.consumer.stop()  # type: ignore[attr-defined]  # hold the row until it is set up
    update_id = store_help(bot)
    with engine.begin() as connection:
        connection.execute(
            update(InboxUpdate.__table__)  # type: ignore[attr-defined]
            .where(InboxUpdate.update_id == update_id)  # type: ignore[arg-type]
            .values(attempts=MAX_ATTEMPTS - 1)
        )
    again = Consumer(bot.application, "second", LateNotices(bot.application.bot))
    running = asyncio.create_task(again.run())
    bot.emulator.inject_failure("sendMessage", 502, times=1)
    failed = await settled(bot, update_id)
    again.stop()
    await running
    assert (failed.state, failed.attempts, failed.last_error) == (
        "failed",
        MAX_ATTEMPTS,
        "NetworkError",
    )
    assert texts(bot) == [render("error")]


async def test_a_long_wait_earns_one_late_notice_then_the_answer(bot: Driver) -> None:
    bot.emulator.inject_failure("sendMessage", 502, times=1)
    update_id = store_help(bot, waited=timedelta(seconds=25))
    done = await settled(bot, update_id)
    assert done.notified_at is not None and done.replied_at is not None
    assert texts(bot)[0] == render("late_notice")
    assert len(texts(bot)) == 2 and "/ask" in texts(bot)[1]


async def test_an_update_answered_before_its_worker_died_is_not_run_again(bot: Driver) -> None:
    engine = bot.application.bot_data.engine
    bot.consumer.stop()  # type: ignore[attr-defined]
    update_id = store_help(bot)
    now = utcnow()
    with engine.begin() as connection:  # a worker claimed it, answered, and was killed
        connection.execute(
            update(InboxUpdate.__table__)  # type: ignore[attr-defined]
            .where(InboxUpdate.update_id == update_id)  # type: ignore[arg-type]
            .values(
                state="claimed",
                holder="gone",
                claim_expires_at=now,
                attempts=1,
                sending_at=now,
                replied_at=now,
            )
        )
    again = Consumer(bot.application, "second", LateNotices(bot.application.bot))
    running = asyncio.create_task(again.run())
    done = await settled(bot, update_id)
    again.stop()
    await running
    assert (done.state, done.attempts) == ("done", 2)
    assert texts(bot) == []
