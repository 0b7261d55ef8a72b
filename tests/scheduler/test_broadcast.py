"""The broadcast engine on the real bot and the sandbox: exactly once, errors, pacing, resume.

The emulator's global limit and the bot's flood limit are raised and BROADCAST_RATE set to 100/s
so that each test sends its handful of messages in well under a second of real time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from bot.broadcasts import services as svc
from bot.config import Settings
from bot.db import create_tables, make_engine, session_scope
from bot.models import Broadcast, Delivery, Subscription, User, utcnow
from bot.sandbox.driver import Driver
from bot.sandbox.limits import Limits
from scheduler import broadcasts as engine_module
from scheduler.broadcasts import (
    MAX_IN_FLIGHT,
    Pacer,
    in_quiet_hours,
    launch,
    resume_all,
    run_broadcast,
)
from tests.conftest import ADMIN, make_settings
from tests.scheduler.helpers import (
    add_subscribers,
    broadcast_row,
    copies,
    statuses,
    wait_broadcast,
    wait_until,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEXT = "<b>抽检结果公示</b>：本周抽检 12 批次，全部合格 &amp; 已公示"
PLAIN = "抽检结果公示：本周抽检 12 批次，全部合格 & 已公示"
SUBSCRIBERS = list(range(8001, 8011))


@pytest.fixture
def settings() -> Settings:
    return make_settings(broadcast_rate=100, telegram_flood_limit=300)


@pytest.fixture
async def driver(settings: Settings, engine: Engine) -> AsyncIterator[Driver]:
    bot = Driver(settings, engine=engine, limits=Limits(global_per_second=300))
    await bot.start()
    bot.user(ADMIN)  # the admin's chat, where progress is reported
    try:
        yield bot
    finally:
        await bot.stop()
    bot.emulator.assert_clean()


def queue(engine: Engine, *, topic: str = "campaigns", respect_quiet_hours: bool = False) -> int:
    with session_scope(engine) as session:
        broadcast = svc.create_broadcast(
            session, kind="admin", topic=topic, text=TEXT, progress_chat_id=ADMIN,
            respect_quiet_hours=respect_quiet_hours,
        )  # fmt: skip
    assert broadcast.id is not None
    return broadcast.id


async def send(driver: Driver, engine: Engine) -> int:
    broadcast_id = queue(engine)
    launch(driver.application, broadcast_id)
    await wait_broadcast(driver.application, broadcast_id)
    return broadcast_id


def received(driver: Driver, ids: list[int]) -> list[int]:
    return [copies(driver, uid, PLAIN) for uid in ids]


async def test_every_subscriber_gets_exactly_one_copy(driver: Driver, engine: Engine) -> None:
    add_subscribers(driver, engine, SUBSCRIBERS, "campaigns")
    add_subscribers(driver, engine, [8101], "tips")  # another topic
    add_subscribers(driver, engine, [8102], "campaigns")
    add_subscribers(driver, engine, [8103], "campaigns")
    with Session(engine) as session:
        session.exec(update(User).where(col(User.id) == 8103).values(blocked=True))
        session.exec(
            update(Subscription).where(col(Subscription.user_id) == 8102).values(active=False)
        )
        session.commit()
    broadcast_id = await send(driver, engine)
    assert received(driver, SUBSCRIBERS) == [1] * len(SUBSCRIBERS)
    assert received(driver, [8101, 8102, 8103]) == [0, 0, 0]
    [copy] = driver.emulator.messages(SUBSCRIBERS[0])
    assert copy.html == TEXT
    with Session(engine) as session:
        rows = session.exec(
            select(Delivery)
            .where(Delivery.broadcast_id == broadcast_id)
            .order_by(col(Delivery.id))
        ).all()
        # One row per chat, queued in a stable order, each settled with its message id.
        assert [d.chat_id for d in rows] == SUBSCRIBERS
        assert {d.status for d in rows} == {"sent"}
        assert all(d.message_id == 1 and d.attempts == 1 for d in rows)
    done = broadcast_row(engine, broadcast_id)
    assert (done.status, done.lease_until) == ("done", None)
    assert done.finished_at is not None


async def test_progress_message_is_edited_into_a_final_report(
    driver: Driver, engine: Engine
) -> None:
    add_subscribers(driver, engine, SUBSCRIBERS, "campaigns")
    broadcast_id = await send(driver, engine)
    [report] = driver.emulator.messages(ADMIN)
    assert report.history, "the progress message was edited, not sent again"
    assert report.history[0].text.startswith(f"群发 #{broadcast_id} 发送中…")
    assert report.text.splitlines() == [
        f"群发 #{broadcast_id} 已完成",
        "",
        "已发送：10",
        "失败：0",
        "已屏蔽本助手：0",
        "共 10 位接收者",
    ]
    assert broadcast_row(engine, broadcast_id).progress_message_id == report.message_id


async def test_blocked_user_is_marked_and_never_retried(driver: Driver, engine: Engine) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:5], "campaigns")
    driver.user(ids[2]).block()  # the bot only learns it from the 403
    broadcast_id = await send(driver, engine)
    assert received(driver, ids) == [1, 1, 0, 1, 1]
    assert statuses(engine, broadcast_id)[ids[2]] == "blocked"
    assert driver.emulator.stats.errors[403] == 1
    with Session(engine) as session:
        assert session.get(User, ids[2]).blocked is True  # type: ignore[union-attr]
    second = await send(driver, engine)
    assert ids[2] not in statuses(engine, second)  # no longer a target at all
    assert driver.emulator.stats.errors[403] == 1
    assert received(driver, ids) == [2, 2, 0, 2, 2]


async def test_429_waits_retry_after_and_retries_that_message(
    driver: Driver, engine: Engine
) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:5], "campaigns")
    driver.emulator.inject_failure("sendMessage", 429, retry_after=1, chat_id=ids[1])
    started = time.monotonic()
    broadcast_id = await send(driver, engine)
    assert time.monotonic() - started >= 1.0
    assert received(driver, ids) == [1, 1, 1, 1, 1]
    assert set(statuses(engine, broadcast_id).values()) == {"sent"}
    assert driver.emulator.stats.rate_limited == 1
    assert driver.emulator.stats.errors[429] == 1


async def test_replies_are_not_frozen_while_a_broadcast_waits_out_a_429(
    driver: Driver, engine: Engine
) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:3], "campaigns")
    # Long enough that a reply handled on a loaded machine still lands inside the pause.
    driver.emulator.inject_failure("sendMessage", 429, retry_after=5, chat_id=ids[0])
    broadcast_id = queue(engine)
    launch(driver.application, broadcast_id)
    await wait_until(lambda: driver.emulator.stats.rate_limited == 1, timeout=30)
    [menu] = await driver.send(8500, "/subscribe")  # the broadcast pauses, the bot does not
    assert "订阅设置" in menu.text
    # The reply came while the broadcast still waited out the 429 for the first chat (whether
    # the other two left before the 429 came back depends on the machine's load, not the bot).
    assert received(driver, ids)[0] == 0
    assert statuses(engine, broadcast_id)[ids[0]] == "sending"
    await wait_broadcast(driver.application, broadcast_id, timeout=60)
    assert received(driver, ids) == [1, 1, 1]


@pytest.mark.parametrize(
    ("status", "failures", "outcome", "copies_received"),
    [(500, 2, "sent", 1), (502, 10, "failed", 0)],
    ids=["retried-then-sent", "gives-up-after-max-attempts"],
)
async def test_5xx_is_retried_with_backoff_up_to_a_limit(
    driver: Driver,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    failures: int,
    outcome: str,
    copies_received: int,
) -> None:
    monkeypatch.setattr(engine_module, "BACKOFF", 0.02)  # waits 1 s, 2 s, 4 s in production
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:3], "campaigns")
    driver.emulator.inject_failure("sendMessage", status, times=failures, chat_id=ids[0])
    broadcast_id = await send(driver, engine)
    assert received(driver, ids) == [copies_received, 1, 1]
    assert statuses(engine, broadcast_id)[ids[0]] == outcome
    assert driver.emulator.stats.errors[status] == min(failures, engine_module.MAX_ATTEMPTS)


async def test_400_is_recorded_and_skipped(driver: Driver, engine: Engine) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:4], "campaigns")
    before = driver.emulator.stats.errors[400]
    driver.emulator.inject_failure(
        "sendMessage", 400, description="Bad Request: chat not found", chat_id=ids[0]
    )
    broadcast_id = await send(driver, engine)
    assert received(driver, ids) == [0, 1, 1, 1]
    assert driver.emulator.stats.errors[400] == before + 1  # not retried
    with Session(engine) as session:
        row = session.exec(
            select(Delivery).where(
                Delivery.broadcast_id == broadcast_id, Delivery.chat_id == ids[0]
            )
        ).one()
        assert (row.status, row.error) == ("failed", "Chat not found")
    [report] = driver.emulator.messages(ADMIN)
    assert "失败：1" in report.text


async def test_a_user_subscribing_mid_broadcast_is_included(
    driver: Driver, engine: Engine
) -> None:
    ids = add_subscribers(driver, engine, range(8001, 8041), "campaigns")
    broadcast_id = queue(engine)
    launch(driver.application, broadcast_id)
    await wait_until(lambda: sum(received(driver, ids)) >= 5)
    [menu] = await driver.send(8900, "/subscribe")
    await driver.press(8900, menu, (1, 0))  # 你点我检活动
    assert sum(received(driver, ids)) < len(ids), "subscribed while the broadcast was running"
    await wait_broadcast(driver.application, broadcast_id)
    assert received(driver, [*ids, 8900]) == [1] * 41
    assert statuses(engine, broadcast_id)[8900] == "sent"


async def test_cancel_stops_the_broadcast(driver: Driver, engine: Engine) -> None:
    ids = add_subscribers(driver, engine, range(8001, 8201), "campaigns")
    broadcast_id = queue(engine)
    launch(driver.application, broadcast_id)
    await wait_until(lambda: sum(received(driver, ids)) >= 3)
    [answer] = await driver.send(ADMIN, f"/broadcast_cancel {broadcast_id}")
    assert answer.text == f"已取消群发 #{broadcast_id}。已经发出的消息不会撤回。"
    at_cancel = sum(received(driver, ids))
    await wait_broadcast(driver.application, broadcast_id)
    sent = sum(received(driver, ids))
    # Only requests already in flight when the cancel landed still arrive.
    assert 3 <= at_cancel <= sent <= at_cancel + MAX_IN_FLIGHT
    assert max(received(driver, ids)) == 1
    assert Counter(statuses(engine, broadcast_id).values()) == {
        "sent": sent,
        "pending": len(ids) - sent,
    }
    assert broadcast_row(engine, broadcast_id).status == "cancelled"
    report = driver.emulator.messages(ADMIN)[0]
    assert report.text.startswith(f"群发 #{broadcast_id} 已取消")


async def nap_in_quiet_hours(engine: Engine, broadcast_id: int) -> None:
    """Wait until the running broadcast has renewed its lease after a quiet-hours nap."""
    await wait_until(lambda: broadcast_row(engine, broadcast_id).lease_until is not None, 30)
    taken = broadcast_row(engine, broadcast_id).lease_until
    await wait_until(lambda: broadcast_row(engine, broadcast_id).lease_until != taken, 30)


def quiet_around_now(settings: Settings) -> None:
    local = datetime.now(SHANGHAI)
    settings.quiet_hours_start = (local - timedelta(hours=1)).time().replace(microsecond=0)
    settings.quiet_hours_end = (local + timedelta(hours=1)).time().replace(microsecond=0)


async def test_quiet_hours_hold_scheduled_broadcasts(
    driver: Driver, engine: Engine, settings: Settings
) -> None:
    quiet_around_now(settings)
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:3], "tips")
    broadcast_id = queue(engine, topic="tips", respect_quiet_hours=True)
    launch(driver.application, broadcast_id)
    await nap_in_quiet_hours(engine, broadcast_id)
    assert received(driver, ids) == [0, 0, 0]
    assert set(statuses(engine, broadcast_id).values()) == {"pending"}
    assert broadcast_row(engine, broadcast_id).status == "running"
    await driver.send(ADMIN, f"/broadcast_cancel {broadcast_id}")
    # Quiet hours last another hour: ending at all means the cancel was noticed during them.
    await wait_broadcast(driver.application, broadcast_id, timeout=30)
    assert received(driver, ids) == [0, 0, 0]
    assert broadcast_row(engine, broadcast_id).status == "cancelled"


async def test_broadcasts_staff_send_at_night_ignore_quiet_hours(
    driver: Driver, engine: Engine, settings: Settings
) -> None:
    quiet_around_now(settings)
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:3], "campaigns")
    await send(driver, engine)
    assert received(driver, ids) == [1, 1, 1]


async def test_shutdown_during_quiet_hours_is_prompt_and_resumable(
    settings: Settings, tmp_path: Path
) -> None:
    quiet_around_now(settings)
    engine = make_engine(f"sqlite:///{tmp_path}/quiet.db")  # outlives the bot's shutdown
    create_tables(engine)
    bot = Driver(settings, engine=engine, limits=Limits(global_per_second=300))
    await bot.start()
    bot.user(ADMIN)
    add_subscribers(bot, engine, SUBSCRIBERS[:2], "tips")
    broadcast_id = queue(engine, topic="tips", respect_quiet_hours=True)
    launch(bot.application, broadcast_id)
    await nap_in_quiet_hours(engine, broadcast_id)
    # Quiet hours last another hour: stopping at all means the nap noticed the shutdown.
    await asyncio.wait_for(bot.stop(), 30)
    paused = broadcast_row(engine, broadcast_id)
    assert (paused.status, paused.lease_until) == ("running", None)  # the next start takes it


@pytest.mark.parametrize(
    ("local_time", "left"),
    [
        (clock_time(20, 59), None),
        (clock_time(21, 0), timedelta(hours=11)),
        (clock_time(23, 30), timedelta(hours=8, minutes=30)),
        (clock_time(0, 0), timedelta(hours=8)),
        (clock_time(7, 59, 30), timedelta(seconds=30)),
        (clock_time(8, 0), None),
        (clock_time(12, 0), None),
    ],
)
def test_in_quiet_hours_by_shanghai_time(local_time: clock_time, left: timedelta | None) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # the defaults: 21:00-08:00
    when = datetime.combine(datetime(2026, 3, 2).date(), local_time, tzinfo=SHANGHAI)
    assert in_quiet_hours(settings, when) == left


def test_quiet_hours_within_one_day(settings: Settings) -> None:
    settings.quiet_hours_start, settings.quiet_hours_end = clock_time(12, 0), clock_time(14, 0)
    day = datetime(2026, 3, 2, tzinfo=SHANGHAI)
    assert in_quiet_hours(settings, day.replace(hour=11, minute=59)) is None
    assert in_quiet_hours(settings, day.replace(hour=13)) == timedelta(hours=1)
    assert in_quiet_hours(settings, day.replace(hour=14)) is None
    # 02:00 UTC is 10:00 in Shanghai: outside; 05:00 UTC is 13:00: inside.
    assert in_quiet_hours(settings, datetime(2026, 3, 2, 5, tzinfo=ZoneInfo("UTC"))) == timedelta(
        hours=1
    )


async def test_resume_after_a_crash_never_sends_twice(driver: Driver, engine: Engine) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:6], "campaigns")
    broadcast_id = queue(engine)
    # What a process killed mid-broadcast leaves behind: two sent, one in flight, a stale lease.
    with Session(engine) as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        svc.add_subscribers(session, broadcast)
        rows = {d.chat_id: d for d in session.exec(select(Delivery)).all()}
        for uid, status in ((ids[0], "sent"), (ids[1], "sent"), (ids[2], "sending")):
            rows[uid].status = status
            session.add(rows[uid])
        broadcast.status = "running"
        broadcast.lease_until = utcnow() - timedelta(seconds=5)
        session.add(broadcast)
        session.commit()
    await resume_all(driver.application)
    await wait_broadcast(driver.application, broadcast_id)
    assert received(driver, ids) == [0, 0, 0, 1, 1, 1]
    assert statuses(engine, broadcast_id) == {
        ids[0]: "sent", ids[1]: "sent", ids[2]: "uncertain",
        ids[3]: "sent", ids[4]: "sent", ids[5]: "sent",
    }  # fmt: skip
    assert broadcast_row(engine, broadcast_id).status == "done"
    [report] = driver.emulator.messages(ADMIN)
    assert "无法确认是否送达：1" in report.text


async def test_a_broadcast_leased_by_a_live_worker_is_left_alone(
    driver: Driver, engine: Engine
) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:3], "campaigns")
    broadcast_id = queue(engine)
    with Session(engine) as session:
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        broadcast.status = "running"
        broadcast.lease_until = utcnow() + timedelta(seconds=30)
        session.add(broadcast)
        session.commit()
    await resume_all(driver.application)
    await run_broadcast(driver.application, broadcast_id)
    assert received(driver, ids) == [0, 0, 0]
    assert statuses(engine, broadcast_id) == {}


async def test_two_runners_of_one_broadcast_send_once(driver: Driver, engine: Engine) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS, "campaigns")
    broadcast_id = queue(engine)
    app = driver.application
    await asyncio.gather(run_broadcast(app, broadcast_id), run_broadcast(app, broadcast_id))
    launch(app, broadcast_id)  # a late resume finds nothing left to do
    await wait_broadcast(app, broadcast_id)
    assert received(driver, ids) == [1] * len(ids)


async def test_broadcasts_sent_side_by_side_share_the_overall_rate(
    settings: Settings, engine: Engine
) -> None:
    # Telegram's limit is 120/s here and each broadcast may go at 100/s, but not both at once.
    bot = Driver(settings, engine=engine, limits=Limits(global_per_second=120))
    await bot.start()
    bot.user(ADMIN)
    try:
        ids = add_subscribers(bot, engine, range(8001, 8061), "campaigns")
        first, second = queue(engine), queue(engine)
        started = time.monotonic()
        launch(bot.application, first)
        launch(bot.application, second)
        await wait_broadcast(bot.application, first)
        await wait_broadcast(bot.application, second)
        assert time.monotonic() - started >= 119 / 100
        assert received(bot, ids) == [2] * len(ids)
        assert bot.emulator.stats.rate_limited == 0
    finally:
        await bot.stop()


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(asyncio, "sleep", fake.sleep)  # the pacer's sleeps move the fake clock
    return fake


async def test_pacer_hands_out_evenly_spaced_slots(fake_time: FakeTime) -> None:
    pacer = Pacer(10, clock=fake_time)
    for _ in range(5):
        await pacer.wait()
    assert fake_time.slept == pytest.approx([0.1] * 4)
    assert fake_time.now == pytest.approx(100.4)


async def test_pacer_pause_pushes_every_later_slot_back(fake_time: FakeTime) -> None:
    pacer = Pacer(10, clock=fake_time)
    await pacer.wait()
    pacer.pause(2.0)  # Telegram said retry_after=2
    await pacer.wait()
    assert fake_time.now == pytest.approx(102.0)
    pacer.pause(0.01)  # shorter than the next slot anyway: no effect
    await pacer.wait()
    assert fake_time.now == pytest.approx(102.1)


async def test_pacer_does_not_burst_after_idling(fake_time: FakeTime) -> None:
    pacer = Pacer(4, clock=fake_time)
    await pacer.wait()
    fake_time.now += 10.0  # nothing to send for a while
    await pacer.wait()
    await pacer.wait()
    await pacer.wait()
    assert fake_time.slept == pytest.approx([0.25, 0.25])


# --- at most once where Telegram cannot tell us -----------------------------------------------


async def test_a_timed_out_send_is_uncertain_never_resent_and_staff_may_resend(
    driver: Driver, engine: Engine
) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS[:4], "campaigns")
    # Telegram delivers to ids[1], then the answer is lost: the bot sees TimedOut.
    driver.emulator.inject_timeout("sendMessage", chat_id=ids[1])
    broadcast_id = await send(driver, engine)
    assert received(driver, ids) == [1, 1, 1, 1]  # delivered once, not re-sent
    assert statuses(engine, broadcast_id)[ids[1]] == "uncertain"
    [report] = driver.emulator.messages(ADMIN)
    assert report.text.splitlines()[-3:] == [
        "共 4 位接收者",
        "发送超时、无法确认是否收到的 1 位（没有自动重发）：",
        f"· 用户{ids[1]}（{ids[1]}）",
    ]
    assert "无法确认是否送达：1" in report.text
    assert report.buttons == [["重新发送无法确认的 1 条（对方可能收到两次）"]]

    await driver.press(ADMIN, report, (0, 0))  # staff choose to send it again
    assert driver.emulator.callback_answers[-1].text == (
        f"群发 #{broadcast_id}：1 条无法确认的消息已重新排队发送。"
    )
    await wait_broadcast(driver.application, broadcast_id)
    await wait_until(lambda: statuses(engine, broadcast_id)[ids[1]] == "sent")
    assert received(driver, ids) == [1, 2, 1, 1]  # only the uncertain one again
    final = driver.emulator.message(ADMIN, report.message_id)
    assert "无法确认" not in final.text and final.buttons == []  # the report is updated
    await driver.press_data(ADMIN, report, f"bc:resend:{broadcast_id}")  # an old double tap
    assert driver.emulator.callback_answers[-1].text == (
        f"群发 #{broadcast_id} 没有需要重发的消息（可能已经重发过）。"
    )
    assert received(driver, ids) == [1, 2, 1, 1]
