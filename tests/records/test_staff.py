"""包保: inspectors are assigned enterprises and get a weekly digest, worst first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.models import Broadcast
from bot.sandbox.driver import Driver
from scheduler.records import tick
from tests.conftest import ADMIN, INSPECTOR
from tests.records.helpers import at, credit_code, opened, staffed
from tests.scheduler.helpers import wait_broadcast

BOSS, DIRECTOR, OFFICER, STRANGER = 35001, 35002, 35003, 35004


async def test_assigned_inspectors_get_a_digest_with_the_neediest_first(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    await staffed(
        driver, 35011, 35012, 35013, name="城南超市", code=credit_code(99), sector="食品销售"
    )
    opened(engine, at(1, 8))
    # The supermarket checks every day; the restaurant reports a serious problem once.
    for day in range(1, 8):
        clock[0] = at(day, 10)
        [sheet] = await driver.send(35013, "/today")
        await driver.press(35013, sheet, "✅ 今日检查无异常（零风险报告）")
    clock[0] = at(2, 10)
    [sheet] = await driver.send(OFFICER, "/today")
    [marking] = await driver.press(OFFICER, sheet, "⚠️ 发现问题，逐项标记")
    await driver.press(OFFICER, marking, (0, 0))
    await driver.press(OFFICER, marking, "下一步：填写问题")
    await driver.send(OFFICER, "一名厨师健康证过期")
    [severity] = await driver.send(OFFICER, "已暂停其上岗")
    [confirm] = await driver.press(OFFICER, severity, "严重")
    await driver.press(OFFICER, confirm, "提交记录")
    [refused] = await driver.send(STRANGER, "/assign 1")
    assert refused.text == "这个命令只有监管人员可以使用。"
    [bad] = await driver.send(INSPECTOR, "/assign 1 35004")
    assert bad.text is not None and bad.text.startswith("用法：")
    [done] = await driver.send(ADMIN, f"/assign 2 {INSPECTOR}")
    assert done.text is not None and done.text.startswith("已把 城南超市（编号 2）分配给监管人员")
    await driver.send(INSPECTOR, "/assign 1")
    [missing] = await driver.send(INSPECTOR, "/assign 99")
    assert missing.text == "没有编号为 99 的企业，或者您不是这家企业的人员。"
    launched = await tick(driver.application, now=at(8, 8, 31))
    for broadcast in launched:
        await wait_broadcast(driver.application, broadcast)
    [digest] = [m for m in driver.messages(INSPECTOR) if (m.text or "").startswith("包保企业周报")]
    assert digest.text is not None
    lines = digest.text.splitlines()
    assert lines[0] == "包保企业周报（2027-03-01 至 2027-03-07），需要优先走访的排在前面："
    assert lines[1].startswith("1. 好味道餐馆（编号 1，城关街道）：日管控 1/7 天，漏 6 天；")
    assert "未整改问题 1 个（严重 1 个），最久 5 天；周排查报告未交" in lines[1]
    assert lines[2].startswith("2. 城南超市（编号 2，城关街道）：日管控 7/7 天；未整改问题 0 个")
    assert await tick(driver.application, now=at(8, 8, 40)) == []  # once a week
    with Session(engine) as session:
        keys = session.exec(select(Broadcast.key).where(Broadcast.key.like("rec:digest:%"))).all()  # type: ignore[union-attr]
    assert keys == [f"rec:digest:2027-03-01:{INSPECTOR}"]
    clock[0] = at(8, 12)
    [again] = await driver.send(INSPECTOR, "/digest")
    assert again.text is not None and "最久 6 天" in again.text.splitlines()[1]
