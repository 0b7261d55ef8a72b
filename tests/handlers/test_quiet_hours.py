"""Quiet hours (21:00-08:00 Beijing) hold every staff send until the morning, unless staff
choose 立即发送（夜间） in the preview; replies to a user's own action are never held."""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import time as clock_time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.models import Broadcast
from bot.sandbox.driver import Driver
from tests.campaign_support import Clock, create_open, finish_broadcasts
from tests.conftest import ADMIN
from tests.scheduler.helpers import add_subscribers, copies, wait_broadcast, wait_until

FANS = [30011, 30012, 30013]
NIGHT = datetime(2027, 3, 1, 19, 34, tzinfo=UTC)  # 03:34 on 2 March in Beijing
MORNING = datetime(2027, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
NOTICE = (
    "🌙 现在是夜间免打扰时段（21:00–08:00），3 位接收人此刻都在免打扰时段：确认后消息排队，"
    "08:00 起按正常速度发出；确需马上送达请点“立即发送（夜间）”。"
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.quiet_hours_start, settings.quiet_hours_end = clock_time(21), clock_time(8)
    return settings


def held(engine: Engine, broadcast_id: int) -> bool:
    with Session(engine) as session:
        row = session.get(Broadcast, broadcast_id)
        assert row is not None
        return row.respect_quiet_hours


async def compose(driver: Driver, text: str) -> list:  # type: ignore[type-arg]
    await driver.send(ADMIN, "/broadcast")
    [_, draft] = await driver.send(ADMIN, text)
    return await driver.press(ADMIN, draft, "发送给：你点我检活动")


async def test_broadcast_at_night_waits_for_the_morning(driver: Driver, engine: Engine) -> None:
    clock = Clock(driver, NIGHT)
    add_subscribers(driver, engine, FANS, "campaigns")
    head, draft = await compose(driver, "夜里写好的通知")
    assert head.text.splitlines()[1:] == ["发送对象：你点我检活动，目前 3 人", NOTICE]
    assert draft.buttons == [
        ["✅ 确认发送（08:00 起）"], ["立即发送（夜间）"],
        ["发送给：节日消费提示"], ["发送给：你点我检活动"], ["发送给：抽检结果公示"],
        ["发送给：全部用户"],
    ]  # fmt: skip
    [started] = await driver.press(ADMIN, draft, "✅ 确认发送（08:00 起）")
    assert started.text.startswith("群发 #1 已开始")  # the admin's own action: answered at once
    await wait_until(lambda: copies(driver, ADMIN, "群发 #1 发送中") == 1)
    assert copies(driver, ADMIN, "🌙 夜间免打扰：08:00 起发送\n剩余：3") == 1
    assert [copies(driver, uid, "夜里写好的通知") for uid in FANS] == [0, 0, 0]
    assert held(engine, 1)
    clock.at = MORNING
    await wait_broadcast(driver.application, 1, timeout=15)
    assert [copies(driver, uid, "夜里写好的通知") for uid in FANS] == [1, 1, 1]


async def test_staff_may_send_at_night_on_purpose(driver: Driver, engine: Engine) -> None:
    Clock(driver, NIGHT)
    add_subscribers(driver, engine, FANS, "campaigns")
    _, draft = await compose(driver, "紧急召回通知")
    await driver.press(ADMIN, draft, "立即发送（夜间）")
    await wait_broadcast(driver.application, 1, timeout=15)
    assert [copies(driver, uid, "紧急召回通知") for uid in FANS] == [1, 1, 1]
    assert not held(engine, 1)


async def test_daytime_preview_has_one_confirm_button(driver: Driver, engine: Engine) -> None:
    Clock(driver, MORNING)
    add_subscribers(driver, engine, FANS, "campaigns")
    head, draft = await compose(driver, "白天的通知")
    assert "免打扰" not in head.text
    assert draft.buttons[0] == ["✅ 确认发送"]
    await driver.press(ADMIN, draft, "✅ 确认发送")
    await wait_broadcast(driver.application, 1, timeout=15)
    assert [copies(driver, uid, "白天的通知") for uid in FANS] == [1, 1, 1]


async def test_tips_send_at_night_waits(driver: Driver, engine: Engine) -> None:
    clock = Clock(driver, datetime(2027, 6, 1, 19, 34, tzinfo=UTC))  # 03:34 on 2 June
    add_subscribers(driver, engine, FANS, "tips")
    [head, tip] = await driver.send(ADMIN, "/tips_send 端午")
    assert head.text.endswith(NOTICE)
    assert tip.buttons == [["✅ 确认发送（08:00 起）"], ["立即发送（夜间）"]]
    await driver.press(ADMIN, tip, "✅ 确认发送（08:00 起）")
    with Session(engine) as session:
        [broadcast] = session.exec(select(Broadcast)).all()
    assert broadcast.respect_quiet_hours
    assert [copies(driver, uid, "端午节食品安全消费提示") for uid in FANS] == [0, 0, 0]
    clock.at = datetime(2027, 6, 2, 0, 0, tzinfo=UTC)
    assert broadcast.id is not None
    await wait_broadcast(driver.application, broadcast.id, timeout=15)
    assert [copies(driver, uid, "端午节食品安全消费提示") for uid in FANS] == [1, 1, 1]


async def test_campaign_announce_and_publish_at_night(driver: Driver, engine: Engine) -> None:
    clock = Clock(driver, NIGHT)
    add_subscribers(driver, engine, FANS, "campaigns")
    cid = await create_open(driver)  # opening it is the admin's own action: answered at night
    head, announcement = await driver.send(ADMIN, f"/campaign_announce {cid}")
    assert head.text.endswith(NOTICE)
    assert announcement.buttons == [["✅ 确认发送（08:00 起）"], ["立即发送（夜间）"]]
    await driver.press(ADMIN, announcement, "✅ 确认发送（08:00 起）")
    assert [copies(driver, uid, "投票开始了") for uid in FANS] == [0, 0, 0]
    clock.at = MORNING
    await finish_broadcasts(driver)
    assert [copies(driver, uid, "投票开始了") for uid in FANS] == [1, 1, 1]

    clock.at = NIGHT.replace(day=3)  # the next night
    await driver.send(ADMIN, f"/campaign_close {cid}")
    add_subscribers(driver, engine, FANS, "results")
    head, outcome = await driver.send(ADMIN, f"/campaign_publish {cid} 全部合格")
    assert "3 位接收人此刻都在免打扰时段" in head.text
    await driver.press(ADMIN, outcome, "立即发送（夜间）")
    await finish_broadcasts(driver)
    with Session(engine) as session:
        rows = session.exec(select(Broadcast).order_by(Broadcast.id)).all()  # type: ignore[arg-type]
    assert [(b.kind, b.respect_quiet_hours) for b in rows] == [
        ("campaign_announce", True),
        ("campaign_publish", False),
    ]
