"""节日消费提示 and broadcasts through the sandbox: subscriptions, /tips, admin journeys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.models import Broadcast, CustomOccasion, ScheduledPush, utcnow
from bot.sandbox.driver import Driver
from bot.sandbox.state import StoredMessage
from bot.tips.subscriptions import topics_of
from tests.conftest import ADMIN
from tests.scheduler.helpers import copies, wait_broadcast

USER = 20001
FANS = [20011, 20012, 20013]
NEXT_YEAR = utcnow().year + 1
OFF = ["⬜ 节日消费提示", "⬜ 你点我检活动", "⬜ 抽检结果公示"]
REFUSAL = "这个命令只有管理员可以使用。"


def on_day(driver: Driver, year: int, month: int, day: int) -> None:
    """What the bot takes for today (noon in Shanghai)."""
    moment = datetime(year, month, day, 4, tzinfo=UTC)
    driver.application.bot_data.clock = lambda: moment


def topics(engine: Engine, uid: int) -> set[str]:
    with Session(engine) as session:
        return topics_of(session, uid)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def buttons(driver: Driver, message: StoredMessage) -> list[list[str]]:
    return driver.emulator.message(message.chat_id, message.message_id).buttons


def last_answer(driver: Driver) -> tuple[str | None, bool]:
    answer = driver.emulator.callback_answers[-1]
    return answer.text, answer.show_alert


async def subscribe_tips(driver: Driver, uid: int) -> None:
    [menu] = await driver.send(uid, "/subscribe")
    await driver.press(uid, menu, "⬜ 节日消费提示")


async def test_subscription_toggles_change_the_keyboard_and_the_database(
    driver: Driver, engine: Engine
) -> None:
    [menu] = await driver.send(USER, "/subscribe")
    assert menu.text.startswith("订阅设置")
    assert menu.buttons == [[b] for b in OFF]
    assert await driver.press(USER, menu, "⬜ 节日消费提示") == []  # redrawn in place
    assert buttons(driver, menu) == [["✅ 节日消费提示"], ["⬜ 你点我检活动"], ["⬜ 抽检结果公示"]]
    assert last_answer(driver) == ("已订阅节日消费提示", False)
    assert topics(engine, USER) == {"tips"}
    await driver.press(USER, menu, "⬜ 抽检结果公示")
    assert topics(engine, USER) == {"tips", "results"}
    await driver.press(USER, menu, "✅ 节日消费提示")
    assert last_answer(driver) == ("已退订节日消费提示", False)
    assert buttons(driver, menu) == [["⬜ 节日消费提示"], ["⬜ 你点我检活动"], ["✅ 抽检结果公示"]]
    assert topics(engine, USER) == {"results"}
    # A new /subscribe shows the stored state.
    [again] = await driver.send(USER, "/subscribe")
    assert again.buttons == [["⬜ 节日消费提示"], ["⬜ 你点我检活动"], ["✅ 抽检结果公示"]]


async def test_a_forged_topic_button_changes_nothing(driver: Driver, engine: Engine) -> None:
    [menu] = await driver.send(USER, "/subscribe")
    driver.user(USER).press_data(menu, "sub:t:everything")
    await driver.settle()
    assert last_answer(driver) == ("按钮已失效，请重新打开菜单", True)
    assert topics(engine, USER) == set()
    assert buttons(driver, menu) == [[b] for b in OFF]


async def test_unsubscribe_switches_every_topic_off(driver: Driver, engine: Engine) -> None:
    [menu] = await driver.send(USER, "/subscribe")
    await driver.press(USER, menu, "⬜ 节日消费提示")
    await driver.press(USER, menu, "⬜ 你点我检活动")
    [done] = await driver.send(USER, "/unsubscribe")
    assert done.text == "已退订全部推送。\n想重新订阅，发送 /subscribe。"
    assert topics(engine, USER) == set()
    [again] = await driver.send(USER, "/unsubscribe")
    assert again.text.startswith("您目前没有订阅任何推送。")
    [fresh] = await driver.send(USER, "/subscribe")
    assert fresh.buttons == [[b] for b in OFF]


async def test_tips_shows_the_next_occasion_and_offers_to_subscribe(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(driver, 2026, 6, 10)
    [tip] = await driver.send(USER, "/tips")
    assert tip.text.startswith("2026年端午节食品安全消费提示")
    assert "6月19日是端午节" in tip.text
    assert tip.html.startswith("<b>2026年端午节食品安全消费提示</b>")
    assert tip.text.endswith("想在节日前自动收到提示？发送 /subscribe 订阅。")
    await subscribe_tips(driver, USER)
    [again] = await driver.send(USER, "/tips")
    assert "/subscribe 订阅" not in again.text


async def test_tips_during_an_occasion_shows_that_occasion(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(driver, 2026, 2, 17)  # 正月初一
    [tip] = await driver.send(USER, "/tips")
    assert tip.text.startswith("2026年春节食品安全消费提示")


@pytest.mark.parametrize(
    "command",
    [
        "/tips_preview 端午",
        "/tips_send 端午",
        f"/occasion_set food_safety_week {NEXT_YEAR}-06-14",
        "/broadcast",
        "/broadcasts",
        "/broadcast_cancel 1",
    ],
)
async def test_admin_commands_refuse_everyone_else(
    driver: Driver, engine: Engine, command: str
) -> None:
    [refusal] = await driver.send(USER, command)
    assert refusal.text == REFUSAL
    assert count(engine, Broadcast) == 0
    assert count(engine, CustomOccasion) == 0


async def test_a_forged_confirm_button_from_a_non_admin_is_refused(
    driver: Driver, engine: Engine
) -> None:
    await driver.send(ADMIN, "/broadcast")
    [_, draft] = await driver.send(ADMIN, "草稿")
    await driver.press(ADMIN, draft, "发送给：节日消费提示")
    [menu] = await driver.send(USER, "/subscribe")
    driver.user(USER).press_data(menu, "bc:go:1")
    await driver.settle()
    assert last_answer(driver) == (REFUSAL, True)
    with Session(engine) as session:
        assert session.get(Broadcast, 1).status == "draft"  # type: ignore[union-attr]


async def test_broadcast_journey_end_to_end(driver: Driver, engine: Engine) -> None:
    for uid in FANS:
        await subscribe_tips(driver, uid)
    [prompt] = await driver.send(ADMIN, "/broadcast")
    assert prompt.text.startswith("群发 #1：请发送要群发的内容")
    text = "春节前抽检：<b>不是标签</b> & “SC” 编号 > 3 项"
    [head, draft] = await driver.send(ADMIN, text)
    assert head.text.splitlines() == [
        "群发 #1 预览（下一条消息就是接收者会看到的样子）",
        "请选择发送对象：",
    ]
    assert draft.text == text
    assert draft.buttons == [
        ["发送给：节日消费提示"], ["发送给：你点我检活动"], ["发送给：抽检结果公示"],
        ["发送给：全部用户"],
    ]  # fmt: skip
    [head2, draft2] = await driver.press(ADMIN, draft, "发送给：节日消费提示")
    assert "发送对象：节日消费提示，目前 3 人" in head2.text
    assert draft2.buttons[0] == ["✅ 确认发送"]
    [started] = await driver.press(ADMIN, draft2, "✅ 确认发送")
    assert started.text == "群发 #1 已开始，进度会在这里更新。取消：/broadcast_cancel 1"
    assert buttons(driver, draft2) == []  # the confirm button is gone
    await wait_broadcast(driver.application, 1)
    for uid in FANS:
        [copy] = [m for m in driver.emulator.messages(uid) if m.text == text]
        assert copy.html == "春节前抽检：&lt;b&gt;不是标签&lt;/b&gt; &amp; “SC” 编号 &gt; 3 项"
        assert copies(driver, uid, "春节前抽检") == 1
    assert copies(driver, USER, "春节前抽检") == 0
    report = driver.emulator.message(ADMIN, started.message_id + 1)
    assert report.text.startswith("群发 #1 已完成")
    assert "已发送：3" in report.text
    # A second tap on the old confirm button sends nothing more.
    driver.user(ADMIN).press_data(draft2, "bc:go:1")
    await driver.settle()
    assert last_answer(driver) == ("按钮已失效，请重新打开菜单", True)
    assert [copies(driver, uid, "春节前抽检") for uid in FANS] == [1, 1, 1]
    [listing] = await driver.send(ADMIN, "/broadcasts")
    assert "#1 群发 · 已完成" in listing.text
    assert "已发送 3 · 失败 0 · 已屏蔽 0 · 剩余 0" in listing.text


async def test_broadcast_to_everyone_previews_the_number_of_recipients(driver: Driver) -> None:
    for uid in FANS:
        await subscribe_tips(driver, uid)
    await driver.send(USER, "/start")
    await driver.send(ADMIN, "/broadcast")
    [_, draft] = await driver.send(ADMIN, "全县食品安全宣传周")
    [head, draft2] = await driver.press(ADMIN, draft, "发送给：全部用户")
    assert head.text.splitlines()[1] == "发送对象：全部用户，目前 5 人"  # 3 fans, USER, ADMIN
    [started] = await driver.press(ADMIN, draft2, "✅ 确认发送")
    await wait_broadcast(driver.application, 1)
    report = driver.emulator.message(ADMIN, started.message_id + 1)
    assert "已发送：5" in report.text


async def test_broadcast_text_too_long_is_refused(driver: Driver, engine: Engine) -> None:
    await driver.send(ADMIN, "/broadcast")
    [refusal] = await driver.send(ADMIN, "长" * 3600)
    assert refusal.text == "内容有 3600 字，超过 3500 字，请精简后重新发送。"
    with Session(engine) as session:
        assert session.get(Broadcast, 1).text == ""  # type: ignore[union-attr]


@pytest.mark.parametrize("blank", ["   ", " \n\u3000\n ", "\u200b \u200b"])
async def test_a_blank_broadcast_text_is_refused_before_any_send(
    driver: Driver, engine: Engine, blank: str
) -> None:
    await driver.send(ADMIN, "/broadcast")
    [refusal] = await driver.send(ADMIN, blank)
    assert refusal.text == (
        "群发内容不能为空（收到的只有空格或空行）。"
        "请重新输入要群发的文字，或发送 /broadcast_cancel 放弃。"
    )
    with Session(engine) as session:
        assert session.get(Broadcast, 1).text == ""  # type: ignore[union-attr]
    [_, draft] = await driver.send(ADMIN, "周末抽检提醒")  # the next text is kept
    assert "周末抽检提醒" in draft.text


async def test_broadcast_cancel(driver: Driver, engine: Engine) -> None:
    await driver.send(ADMIN, "/broadcast")
    [cancelled] = await driver.send(ADMIN, "/broadcast_cancel 1")
    assert cancelled.text == "已取消群发 #1。已经发出的消息不会撤回。"
    with Session(engine) as session:
        assert session.get(Broadcast, 1).status == "cancelled"  # type: ignore[union-attr]
    # With the draft gone, the admin's next words are a question again, not a broadcast.
    replies = await driver.send(ADMIN, "健康证多久办一次")
    assert not any("预览" in m.text for m in replies)
    [again] = await driver.send(ADMIN, "/broadcast_cancel 1")
    assert again.text == "没有可取消的群发 #1（不存在或已结束）。"
    [unknown] = await driver.send(ADMIN, "/broadcast_cancel 99")
    assert unknown.text == "没有可取消的群发 #99（不存在或已结束）。"
    [empty] = await driver.send(ADMIN, "/broadcast_cancel")
    assert empty.text == "没有可取消的群发 #?（不存在或已结束）。"


async def test_tips_preview_and_send_with_confirmation(
    driver: Driver, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_day(driver, 2026, 6, 1)
    for uid in FANS:
        await subscribe_tips(driver, uid)
    [head, tip] = await driver.send(ADMIN, "/tips_preview 端午")
    assert head.text.splitlines()[:2] == [
        "预览：端午节（2026年6月19日）",
        "计划推送时间：2026年6月16日 10:00；当前订阅者 3 人。",
    ]
    assert tip.text.startswith("2026年端午节食品安全消费提示")
    assert tip.buttons == []
    [head, tip] = await driver.send(ADMIN, "/tips_send 端午")
    assert "确认立即发送给全部订阅者吗？" in head.text
    assert tip.buttons == [["✅ 确认发送"]]
    await driver.press(ADMIN, tip, "✅ 确认发送")
    assert buttons(driver, tip) == []
    with Session(engine) as session:
        [broadcast] = session.exec(select(Broadcast)).all()
    assert broadcast.id is not None
    await wait_broadcast(driver.application, broadcast.id)
    title = "2026年端午节食品安全消费提示"
    assert [copies(driver, uid, title) for uid in FANS] == [1, 1, 1]
    driver.user(ADMIN).press_data(tip, "tip:send:dragon_boat:2026-06-19")  # a double tap
    await driver.settle()
    await wait_broadcast(driver.application, broadcast.id)
    assert count(engine, Broadcast) == 1
    assert [copies(driver, uid, title) for uid in FANS] == [1, 1, 1]
    # Asked again, the preview says it was sent this year and offers no button.
    [head, tip] = await driver.send(ADMIN, "/tips_send 端午")
    sent_line = head.text.splitlines()[2]
    assert sent_line.startswith("这个节日的提示今年已经发送过（群发 #1，")  # then when
    assert sent_line.endswith("），不会重复发送。发送 /broadcasts 查看。")
    assert tip.buttons == []


async def test_tips_preview_of_an_unknown_occasion(driver: Driver) -> None:
    [answer] = await driver.send(ADMIN, "/tips_preview 万圣节")
    assert answer.text.startswith("没有找到节日“万圣节”。可用：元旦、除夕、春节")


async def test_occasion_set_plans_and_moves_the_push(driver: Driver, engine: Engine) -> None:
    [saved] = await driver.send(ADMIN, f"/occasion_set food_safety_week {NEXT_YEAR}-06-14")
    assert saved.text == (
        f"已设置：食品安全宣传周 {NEXT_YEAR}年6月14日。提示会在 {NEXT_YEAR}年6月11日 10:00 推送。"
    )
    [moved] = await driver.send(ADMIN, f"/occasion_set 食品安全宣传周 {NEXT_YEAR}-06-21")
    assert f"提示会在 {NEXT_YEAR}年6月18日 10:00 推送" in moved.text
    with Session(engine) as session:
        [push] = session.exec(
            select(ScheduledPush).where(ScheduledPush.occasion == "food_safety_week")
        ).all()
        assert push.push_at == datetime(NEXT_YEAR, 6, 18, 2, 0, tzinfo=UTC)
        assert session.exec(select(func.count()).select_from(CustomOccasion)).one() == 1
    [job] = driver.application.job_queue.get_jobs_by_name(f"push:{push.id}")  # type: ignore[union-attr]
    assert job.next_t == datetime(NEXT_YEAR, 6, 18, 2, 0, tzinfo=UTC)
    [bad] = await driver.send(ADMIN, f"/occasion_set food_safety_week {NEXT_YEAR}-13-01")
    assert bad.text.startswith("用法：/occasion_set 节日 YYYY-MM-DD")
    assert bad.text.splitlines()[1] == (
        "节日：春季开学季、秋季开学季、食品安全宣传周，或自定义活动名称（需附提示正文）"
    )
    assert "food_safety_week" not in bad.text  # Chinese names only; the keys are still accepted


async def test_occasion_set_custom_event_needs_a_tip_text(driver: Driver, engine: Engine) -> None:
    [bad] = await driver.send(ADMIN, f"/occasion_set 夏季专项 {NEXT_YEAR}-07-01")
    assert bad.text.startswith("用法：")
    [saved] = await driver.send(ADMIN, f"/occasion_set 夏季专项 {NEXT_YEAR}-07-01 注意冷链食品")
    assert saved.text.startswith(f"已设置：夏季专项 {NEXT_YEAR}年7月1日。")
    with Session(engine) as session:
        push = session.exec(
            select(ScheduledPush).where(col(ScheduledPush.occasion).startswith("custom-"))
        ).one()
        assert push.status == "planned"
