"""周排查 and 月调度 through the sandbox: the 总监's weekly report, the 主要负责人's minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.records.models import MonthlyMinutes, WeeklyReport
from bot.sandbox.driver import Driver
from scheduler.records import tick
from tests.records.helpers import at, opened, staffed
from tests.scheduler.helpers import wait_broadcast

BOSS, DIRECTOR, OFFICER = 33001, 33002, 33003


async def _file_days(driver: Driver, clock: list[datetime], days: list[int]) -> None:
    for day in days:
        clock[0] = at(day, 10)
        [sheet] = await driver.send(OFFICER, "/today")
        await driver.press(OFFICER, sheet, "✅ 今日检查无异常（零风险报告）")


async def test_the_directors_weekly_report(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    opened(engine, at(1, 8))
    await _file_days(driver, clock, [1, 2, 3, 5])  # Thursday is missed
    # Monday morning: the 总监 is reminded of last week's report.
    for broadcast in await tick(driver.application, now=at(8, 9, 1)):
        await wait_broadcast(driver.application, broadcast)
    assert any("该做上周的周排查了" in (m.text or "") for m in driver.messages(DIRECTOR))
    assert not any("该做上周的周排查了" in (m.text or "") for m in driver.messages(OFFICER))
    clock[0] = at(8, 10)
    [refused] = await driver.send(BOSS, "/weekly")
    assert refused.text == "只有食品安全总监、食品安全员可以填写周排查报告。"
    summary, ask = await driver.send(DIRECTOR, "/weekly")
    assert summary.text == (
        "好味道餐馆 周排查 · 2027-03-01 至 2027-03-07\n"
        "应检查 7 天，已检查 4 天（按时 4 天，零风险报告 4 天）\n"
        "发现问题 0 个，其中已整改 0 个；目前全部未整改问题 0 个"
    )
    assert ask.text is not None and ask.text.startswith("请填写本周风险隐患排查的分析研判")
    [too_long] = await driver.send(DIRECTOR, "析" * 601)
    assert too_long.text is not None and "601 个字，最多 600 个字" in too_long.text
    [ask] = await driver.send(DIRECTOR, "周四漏检一天，原因是安全员休假无人顶岗")
    assert ask.text is not None and ask.text.startswith("请填写研究决定的措施")
    [confirm] = await driver.send(DIRECTOR, "指定厨师长为替补安全员，总监每周三抽查")
    assert confirm.text is not None and "分析研判：周四漏检一天" in confirm.text
    [filed] = await driver.press(DIRECTOR, confirm, "确认，形成周排查报告")
    assert filed.text == (
        "✅ 已形成《每周食品安全排查治理报告》（2027-03-01 这一周），"
        "提交时间 2027年3月8日 10:00。发送 /records 2027-03 可导出。"
    )
    await driver.press_data(DIRECTOR, confirm, "rec:rep:1")
    assert driver.emulator.callback_answers[-1].text == "按钮已失效，请重新打开菜单"
    with Session(engine) as session:
        report = session.exec(select(WeeklyReport)).one()
        assert (report.days_expected, report.days_checked, report.filed_by) == (7, 4, DIRECTOR)
        assert report.decisions == "指定厨师长为替补安全员，总监每周三抽查"
    # Last week is done: /weekly now starts this week's report.
    summary, _ = await driver.send(OFFICER, "/weekly")
    assert summary.text is not None and "2027-03-08 至 2027-03-14" in summary.text


async def test_the_principals_monthly_minutes(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    opened(engine, at(1, 8))
    await _file_days(driver, clock, [1, 2, 3])
    launched = await tick(driver.application, now=at(1, 9, 30, month=4))
    for broadcast in launched:
        await wait_broadcast(driver.application, broadcast)
    assert any("该开上个月的食品安全调度会了" in (m.text or "") for m in driver.messages(BOSS))
    clock[0] = at(2, 10, month=4)
    [refused] = await driver.send(DIRECTOR, "/monthly")
    assert refused.text == "只有主要负责人可以记录月调度会议。"
    summary, _ = await driver.send(BOSS, "/monthly")
    assert summary.text is not None and summary.text.startswith("好味道餐馆 月调度 · 2027-03")
    assert "已检查 3 天" in summary.text and "本月周排查报告 0 份" in summary.text
    await driver.send(BOSS, "总监汇报：本月发现冷藏问题一处，已整改")
    await driver.send(BOSS, "本月日管控基本落实，漏检较多")
    [confirm] = await driver.send(BOSS, "下月重点：落实替补安全员，检查留样")
    assert confirm.text is not None and confirm.text.startswith(
        "请核对，确认后形成《每月食品安全调度会议纪要》"
    )
    [filed] = await driver.press(BOSS, confirm, "确认，形成会议纪要")
    assert filed.text is not None and filed.text.startswith(
        "✅ 已形成《每月食品安全调度会议纪要》（2027年3月）"
    )
    again, _ = await driver.send(BOSS, "/monthly")
    assert again.text is not None and again.text.startswith("好味道餐馆 月调度 · 2027-04")
    with Session(engine) as session:
        minutes = session.exec(select(MonthlyMinutes)).one()
        assert minutes.priorities == "下月重点：落实替补安全员，检查留样"
        assert minutes.days_checked == 3 and minutes.filed_by == BOSS
