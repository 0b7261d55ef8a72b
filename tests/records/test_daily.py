"""日管控 through the sandbox: a restaurant's week, problems reported and fixed, reminders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.models import Broadcast
from bot.records.daily import day_off_reason
from bot.records.models import DailyRecord, Enterprise, Problem, Reminder
from bot.sandbox.driver import Driver
from bot.sandbox.users import TINY_PNG
from scheduler.records import tick
from tests.records.helpers import at, opened, staffed
from tests.scheduler.helpers import wait_broadcast

BOSS, DIRECTOR, OFFICER, STRANGER = 32001, 32002, 32003, 32004


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


async def test_a_week_of_a_restaurant_officer(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    # Monday: nothing found, one tap; a second tap files nothing more.
    [sheet] = await driver.send(OFFICER, "/today")
    assert sheet.text is not None and sheet.text.startswith("好味道餐馆 日管控 · 2027年3月1日")
    assert "风险管控清单（第1版）" in sheet.text
    [filed] = await driver.press(OFFICER, sheet, "✅ 今日检查无异常（零风险报告）")
    assert filed.text == (
        "✅ 已提交 2027年3月1日 日管控记录：今日检查无异常（零风险报告）。\n"
        "对照清单第1版，提交时间 2027年3月1日 10:00。"
    )
    [again] = await driver.press(OFFICER, sheet, "✅ 今日检查无异常（零风险报告）")
    assert again.text == "这一天的记录已于 2027年3月1日 10:00 提交过了，不会重复提交。"
    assert count(engine, DailyRecord) == 1
    # Tuesday: the cold store is too warm.
    clock[0] = at(2, 9, 30)
    [sheet] = await driver.send(OFFICER, "/today")
    [marking] = await driver.press(OFFICER, sheet, "⚠️ 发现问题，逐项标记")
    assert marking.buttons[3][0].startswith("⬜ 4. 冷藏、冷冻设备运转正常")
    await driver.press(OFFICER, marking, "下一步：填写问题")
    assert driver.emulator.callback_answers[-1].text == "请先点选有问题的项目"
    await driver.press(OFFICER, marking, (3, 0))
    assert driver.emulator.message(OFFICER, marking.message_id).buttons[3][0].startswith("⚠️ 4.")
    [describe] = await driver.press(OFFICER, marking, "下一步：填写问题")
    assert describe.text is not None and describe.text.startswith("第4项：冷藏、冷冻设备")
    [too_long] = await driver.send(OFFICER, "温" * 301)
    assert too_long.text is not None and "301 个字，最多 300 个字" in too_long.text
    [measure] = await driver.send(OFFICER, "冷藏柜温度显示9℃，超过要求")
    assert measure.text is not None and measure.text.startswith("已采取了什么措施？")
    driver.user(OFFICER).send_photo(TINY_PNG + b"\0" * (6 * 1024 * 1024))
    await driver.settle()
    assert driver.last(OFFICER).text == (
        "照片太大了（6.0 MB），最大 5 MB。请压缩后重发，已经填写的内容都保留着。"
    )
    driver.user(OFFICER).send_photo(TINY_PNG)
    await driver.settle()
    assert driver.last(OFFICER).text is not None
    assert driver.last(OFFICER).text.startswith("已采取了什么措施？")  # asked again
    [severity] = await driver.send(OFFICER, "食材已转移到另一台冰柜，已报修")
    [confirm] = await driver.press(OFFICER, severity, "严重")
    assert confirm.text is not None and "冷藏柜温度显示9℃，超过要求（附照片）" in confirm.text
    assert "措施：食材已转移到另一台冰柜，已报修" in confirm.text
    [done] = await driver.press(OFFICER, confirm, "提交记录")
    assert done.text is not None and "发现 1 个问题，已通知食品安全总监和主要负责人" in done.text
    await driver.press(OFFICER, confirm, "提交记录")  # a double tap
    assert driver.emulator.callback_answers[-1].text == "按钮已失效，请重新打开菜单"
    alert = [m for m in driver.messages(DIRECTOR) if "日管控发现问题【严重】" in (m.text or "")]
    assert len(alert) == 1
    assert alert[0].text is not None and "冷藏柜温度显示9℃" in alert[0].text
    assert driver.last(DIRECTOR).media.get("photo")
    assert any("日管控发现问题【严重】" in (m.text or "") for m in driver.messages(BOSS))
    # Wednesday: the problem is open until the 总监 records the fix.
    clock[0] = at(3, 9)
    [listing] = await driver.send(OFFICER, "/problems")
    assert (
        listing.text is not None and "冷藏柜温度显示9℃" in listing.text and "已0天" in listing.text
    )
    [prompt] = await driver.press(DIRECTOR, alert[0], "记录已整改")
    assert prompt.text is not None and "请写明整改情况" in prompt.text
    [fixed] = await driver.send(DIRECTOR, "压缩机已更换，温度恢复到4℃")
    assert fixed.text is not None and fixed.text.startswith("✅ 已记录问题 #1 整改完成")
    assert "已整改：压缩机已更换" in (driver.last(OFFICER).text or "")
    [listing] = await driver.send(OFFICER, "/problems")
    assert listing.text == "好味道餐馆 未整改的问题：没有。"
    await driver.press(DIRECTOR, alert[0], "记录已整改")  # already fixed
    assert driver.emulator.callback_answers[-1].text == "按钮已失效，请重新打开菜单"
    for day in (3, 4, 5):
        clock[0] = at(day, 11)
        [sheet] = await driver.send(OFFICER, "/today")
        await driver.press(OFFICER, sheet, "✅ 今日检查无异常（零风险报告）")
    # The weekend is the restaurant's rest: no record is expected.
    await driver.send(BOSS, "/rest_days 六 日")
    clock[0] = at(6, 10)
    [rest] = await driver.send(OFFICER, "/today")
    assert rest.text == "2027年3月6日是每周固定休息日，好味道餐馆 今天不需要日管控记录。"
    with Session(engine) as session:
        days = session.exec(
            select(DailyRecord.day, DailyRecord.zero_risk).order_by(col(DailyRecord.day))
        ).all()
        assert [(d.day, z) for d, z in days] == [
            (1, True),
            (2, False),
            (3, True),
            (4, True),
            (5, True),
        ]
        problem = session.exec(select(Problem)).one()
        assert problem.serious and problem.fixed_by == DIRECTOR and problem.photo_file_id


async def test_only_the_enterprise_people_may_file_and_old_buttons_expire(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    [sheet] = await driver.send(OFFICER, "/today")
    await driver.press_data(STRANGER, sheet, "rec:zero:1:20270301")
    assert (
        driver.emulator.callback_answers[-1].text
        == "只有食品安全员、食品安全总监可以提交日管控记录。"
    )
    await driver.press(BOSS, sheet, "✅ 今日检查无异常（零风险报告）")
    assert (
        driver.emulator.callback_answers[-1].text
        == "只有食品安全员、食品安全总监可以提交日管控记录。"
    )
    clock[0] = at(2, 10)
    await driver.press(OFFICER, sheet, "✅ 今日检查无异常（零风险报告）")
    assert driver.emulator.callback_answers[-1].text == (
        "这是2027年3月1日的检查单，已经过期。请发送 /today 打开今天的检查单。"
    )
    await driver.press_data(OFFICER, sheet, "rec:zero:1:20271399")
    assert driver.emulator.callback_answers[-1].text == "按钮已失效，请重新打开菜单"
    [usage] = await driver.send(BOSS, "/check_time 25:00")
    assert usage.text is not None and "时间格式应为 08:30" in usage.text
    [shown] = await driver.send(DIRECTOR, "/check_time 08:30 17:00")
    assert shown.text is not None and "每天 08:30 提醒安全员检查，17:00 前提交" in shown.text
    [refused] = await driver.send(OFFICER, "/day_off 2027-03-05")
    assert refused.text == "只有主要负责人、食品安全总监可以修改设置。"
    assert count(engine, DailyRecord) == 0


async def test_a_missed_day_is_reminded_then_escalated_once_across_restarts(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    other = 32011
    await staffed(driver, 32010, 32012, other, name="城南超市", code=None, sector="食品销售")
    opened(engine, at(1, 8))
    app = driver.application
    assert await tick(app, now=at(1, 8, 59)) == []
    [daily] = await tick(app, now=at(1, 9, 1))
    await wait_broadcast(app, daily)
    assert "该做今天的日管控检查了" in (driver.last(OFFICER).text or "")
    assert "该做今天的日管控检查了" in (driver.last(other).text or "")
    assert await tick(app, now=at(1, 9, 2)) == []  # a second tick, or a restart: nothing new
    # The supermarket files; the restaurant does not.
    clock[0] = at(1, 12)
    [sheet] = await driver.send(other, "/today")
    await driver.press(other, sheet, "✅ 今日检查无异常（零风险报告）")
    [late] = await tick(app, now=at(1, 18, 1))
    await wait_broadcast(app, late)
    assert "已过截止时间" in (driver.last(OFFICER).text or "")
    assert "已过截止时间" not in (driver.last(other).text or "")
    [escalated] = await tick(app, now=at(1, 20, 1))
    await wait_broadcast(app, escalated)
    assert driver.last(DIRECTOR).text == (
        "⚠️ 好味道餐馆 2027年3月1日 的日管控记录过了截止时间仍未提交，已提醒过食品安全员。"
        "请督促落实每日检查（《企业落实食品安全主体责任监督管理规定》第十一条）。"
    )
    assert not any("截止时间仍未提交" in (m.text or "") for m in driver.messages(32012))
    assert await tick(app, now=at(1, 20, 2)) == []
    with Session(engine) as session:
        flags = session.exec(
            select(Broadcast.respect_quiet_hours).where(Broadcast.kind == "records")
        ).all()
        assert flags == [True, True, True]
    assert count(engine, Reminder) == 4  # daily x2, late, escalate


async def test_reminders_missed_while_down_are_sent_once_and_days_off_are_skipped(
    driver: Driver, engine: Engine
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    await driver.send(BOSS, "/day_off 2027-03-02")
    opened(engine, at(1, 8))
    # Down all of Monday evening: at Tuesday 09:00 only the escalation of Monday is due
    # (Tuesday is a closing day), and the stale "time to check" of Monday is not sent.
    launched = await tick(driver.application, now=at(2, 9, 5))
    assert len(launched) == 1
    await wait_broadcast(driver.application, launched[0])
    assert "2027年3月1日 的日管控记录过了截止时间仍未提交" in (driver.last(DIRECTOR).text or "")
    assert not any("该做今天的日管控检查了" in (m.text or "") for m in driver.messages(OFFICER))
    # A closing day expects nothing, even after its deadline.
    assert await tick(driver.application, now=at(2, 21)) == []
    with Session(engine) as session:
        kinds = session.exec(select(Reminder.kind, Reminder.status)).all()
    assert sorted(kinds) == [("escalate", "queued")]


def test_public_holidays_are_days_off_unless_the_enterprise_works_through_them(
    session: Session,
) -> None:
    enterprise = Enterprise(name="店", sector="retail", township="城关", closed_weekdays="6")
    assert day_off_reason(session, enterprise, date(2027, 5, 1)) == "法定节假日（劳动节）"
    assert day_off_reason(session, enterprise, date(2027, 3, 7)) == "每周固定休息日"
    assert day_off_reason(session, enterprise, date(2027, 3, 8)) is None
    enterprise.holidays_off = False
    assert day_off_reason(session, enterprise, date(2027, 5, 1)) is None


async def test_usage_examples_are_dated_from_today(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    clock[0] = at(14, 10, month=5)  # Friday 14 May 2027: examples follow the clock
    [shown] = await driver.send(DIRECTOR, "/records_settings")
    assert shown.text is not None and "/day_off 2027-05-15" in shown.text  # a day ahead
    [usage] = await driver.send(DIRECTOR, "/records 13")
    assert usage.text is not None and "/records 2027-05 [企业编号]" in usage.text
    [usage] = await driver.send(OFFICER, "/correct")
    assert (
        usage.text is not None
        and (
            "/correct 2027-05-14 原因｜更正内容"
            "（周报告：/correct 周 2027-05-10 …；月纪要：/correct 月 2027-05 …）"
        )
        in usage.text
    )
