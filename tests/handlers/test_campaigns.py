from __future__ import annotations

import functools
from datetime import datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.models import Ballot, BallotOption, Campaign, CampaignDraft, Vote, VoteChoice
from bot.sandbox.driver import Driver
from tests.campaign_support import (
    CAMPAIGN_YAML,
    POLL_YAML,
    T0,
    Clock,
    ballot,
    create_open,
    current,
    receipt,
    tick,
    upload,
)
from tests.conftest import ADMIN

CITIZEN, OTHER = 20001, 20002


async def answer_prompt(driver: Driver, text: str) -> str:
    """The admin replies to the latest /campaign_new prompt; returns the bot's next text."""
    driver.user(ADMIN).send(text, reply_to=driver.last(ADMIN).message_id)
    await driver.settle()
    return driver.last(ADMIN).text or ""


def campaign_jobs(driver: Driver) -> list[str]:
    queue = driver.application.job_queue
    assert queue is not None
    return sorted(str(job.name) for job in queue.jobs() if str(job.name).startswith("campaign:"))


async def test_ballot_toggles_submit_and_receipt(driver: Driver, engine: Engine) -> None:
    Clock(driver)
    cid = await create_open(driver)
    shown = await ballot(driver, CITIZEN, cid)
    assert shown.buttons[:2] == [["猪肉", "蔬菜"], ["水果", "鸡蛋"]]
    assert shown.buttons[-3:] == [["✏️ 其他建议"], ["下一题 ➡️"], ["📮 提交"]]
    shown = await tick(driver, CITIZEN, shown, "猪肉", "蔬菜")
    assert shown.buttons[0] == ["✅ 猪肉", "✅ 蔬菜"]
    assert "• 食品品种：猪肉、蔬菜" in (shown.text or "")
    await driver.press(CITIZEN, shown, "水果")  # a third choice where two are allowed
    assert driver.last_answer() == "“食品品种”最多选 2 项，请先取消一项"
    shown = await tick(driver, CITIZEN, shown, "超市", "东城街道")
    assert shown.buttons[0] == ["城关街道", "✅ 东城街道"]
    assert await driver.press(CITIZEN, shown, "📮 提交") == []  # the ballot becomes the receipt
    assert driver.last_answer() == "✅ 已提交"
    done = current(driver, shown)
    assert receipt(done) == {
        "食品品种": ["猪肉", "蔬菜"],
        "抽样场所": ["超市"],
        "镇/街道": ["东城街道"],
    }
    assert done.buttons == [["✏️ 修改我的选择"], ["📊 查看结果"]]
    [results] = await driver.press(CITIZEN, done, "📊 查看结果")
    assert "1. 猪肉　1 票（100.0%）" in (results.text or "")
    assert "镇/街道分布" not in (results.text or "")  # staff only
    with Session(engine) as session:
        assert len(session.exec(select(Vote)).all()) == 1


async def test_reopening_shows_current_choices(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    shown = await tick(
        driver, CITIZEN, await ballot(driver, CITIZEN, cid), "鸡蛋", "网店", "城关街道"
    )
    await driver.press(CITIZEN, shown, "📮 提交")
    again = await ballot(driver, CITIZEN, cid)
    assert again.buttons[1] == ["水果", "✅ 鸡蛋"]
    assert "您已于 2027年3月1日 10:00 提交过" in (again.text or "")
    [listing] = await driver.send(CITIZEN, "/vote")
    assert listing.buttons == [["🗳 春季你点我检"]]
    [from_list] = await driver.press(CITIZEN, listing, "🗳 春季你点我检")
    assert "• 抽样场所：网店" in (from_list.text or "")


async def test_after_close_every_button_answers_ended(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    shown = await tick(driver, CITIZEN, await ballot(driver, CITIZEN, cid), "猪肉")
    await driver.send(ADMIN, f"/campaign_close {cid}")
    for data in shown.callback_data:
        await driver.press_data(CITIZEN, shown, data)
        assert driver.last_answer() == "活动已结束", data
    [reply] = await driver.send(CITIZEN, f"/start vote_{cid}")
    assert reply.text == "活动已结束"


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        ("vote:t:{cid}:{foreign}", "按钮已失效，请重新打开投票（/vote）"),
        ("vote:t:999:1", "没有找到这个活动"),
        ("vote:s:{cid}", "“食品品种”还没有选，请每题至少选一项"),
        ("vote:w:{cid}:9", "按钮已失效，请重新打开投票（/vote）"),
        ("vote:x:{cid}:{foreign_ballot}", "按钮已失效，请重新打开投票（/vote）"),
        ("vote:r:{cid}", "这个活动的结果暂不向投票人公开"),
        ("vote:t:{draft}:1", "活动还没有开始"),
        ("camp:pub:{cid}", "这个命令只有管理员可以使用。"),
        ("camp:open:{draft}", "这个命令只有管理员可以使用。"),
        ("vote:t:{cid}:abc", "按钮已失效，请重新打开菜单"),
    ],
    ids=[
        "other-campaign-option",
        "no-campaign",
        "empty-submit",
        "no-township",
        "other-ballot",
        "hidden-results",
        "draft",
        "publish",
        "open",
        "garbage",
    ],
)
async def test_forged_buttons_are_refused_and_change_nothing(
    driver: Driver, engine: Engine, data: str, answer: str
) -> None:
    Clock(driver)
    cid = await create_open(driver, CAMPAIGN_YAML.format(rule="campaign", results="never"))
    other = await create_open(driver, POLL_YAML)
    draft_preview = await upload(driver, POLL_YAML)
    draft = int((draft_preview.text or "").split("#")[1].split()[0])
    with Session(engine) as session:
        foreign_ballot = session.exec(select(Ballot).where(Ballot.campaign_id == other)).one()
        foreign = session.exec(
            select(BallotOption).where(BallotOption.ballot_id == foreign_ballot.id)
        ).first()
    assert foreign is not None
    shown = await ballot(driver, CITIZEN, cid)
    forged = data.format(
        cid=cid, draft=draft, foreign=foreign.id, foreign_ballot=foreign_ballot.id
    )
    await driver.press_data(CITIZEN, shown, forged)
    assert driver.last_answer() == answer
    assert current(driver, shown).text == shown.text
    with Session(engine) as session:
        assert session.exec(select(Vote)).all() == []


async def test_another_users_ballot_cannot_be_pressed(driver: Driver, engine: Engine) -> None:
    Clock(driver)
    cid = await create_open(driver)
    shown = await tick(
        driver, CITIZEN, await ballot(driver, CITIZEN, cid), "猪肉", "超市", "城关街道"
    )
    await driver.press_data(OTHER, shown, f"vote:s:{cid}")  # a press on someone else's message
    assert driver.last_answer() == "按钮已失效，请重新打开投票（/vote）"
    with Session(engine) as session:
        assert session.exec(select(Vote)).all() == []


async def test_suggestion_is_a_reply_of_at_most_fifty_characters(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    shown = await ballot(driver, CITIZEN, cid)
    [prompt] = await driver.press(CITIZEN, shown, "✏️ 其他建议")
    assert (prompt.text or "").startswith("【其他建议】“食品品种”里没有您想选的？")
    user = driver.user(CITIZEN)
    user.send("很" * 51, reply_to=prompt.message_id)
    await driver.settle()
    assert (
        driver.last(CITIZEN).text == "建议不能超过 50 个字（您写了 51 个字），请重新回复那条提示"
    )
    user.send("小龙虾", reply_to=prompt.message_id)
    await driver.settle()
    assert (driver.last(CITIZEN).text or "").startswith("📝 已收到您对“食品品种”的建议：小龙虾")
    results, *_ = await driver.send(ADMIN, f"/results {cid}")
    assert "• [食品品种] 小龙虾" in (results.text or "")


async def test_vote_in_a_group_links_to_the_private_ballot(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    group = driver.emulator.create_group("城关社区群", [ADMIN, CITIZEN])
    [card] = await driver.send(ADMIN, f"/campaign_card {cid}", chat_id=group)
    assert "你点我检：春季你点我检" in (card.text or "")
    [[link]] = card.inline_keyboard
    assert link == {"text": "🗳 去投票", "url": f"https://t.me/shian_test_bot?start=vote_{cid}"}
    [listing] = await driver.send(CITIZEN, "/vote", chat_id=group)
    assert listing.inline_keyboard[0][0]["url"].endswith(f"?start=vote_{cid}")
    [not_here] = await driver.send(CITIZEN, f"/start vote_{cid}", chat_id=group)
    assert not_here.callback_data == []  # no ballot in the group, only links


async def test_native_poll_counts_once_per_person(driver: Driver, engine: Engine) -> None:
    Clock(driver)
    cid = await create_open(driver, POLL_YAML)
    group = driver.emulator.create_group("城关社区群", [ADMIN, CITIZEN, OTHER])
    [poll] = await driver.send(ADMIN, f"/campaign_poll {cid}", chat_id=group)
    assert poll.poll_id is not None
    record = driver.emulator.polls[poll.poll_id]
    assert (record.question, record.is_anonymous) == ("中秋月饼抽检：您最想抽检哪种月饼？", False)
    driver.user(CITIZEN).vote(poll.poll_id, [2])
    driver.user(OTHER).vote(poll.poll_id, [0])
    await driver.settle()
    shown = await tick(driver, CITIZEN, await ballot(driver, CITIZEN, cid), "冰皮")  # 蛋黄 swaps
    await driver.press(CITIZEN, shown, "📮 提交")
    results, *_ = await driver.send(ADMIN, f"/results {cid}")
    assert "投票人数：2　投票人次：2（其中群投票 1）" in (results.text or "")
    assert "1. 五仁　1 票（50.0%）" in (results.text or "")
    assert "1. 冰皮　1 票（50.0%）" in (results.text or "")
    await driver.send(ADMIN, f"/campaign_close {cid}")
    assert driver.emulator.polls[poll.poll_id].is_closed
    [refused] = await driver.send(ADMIN, f"/campaign_poll {cid}", chat_id=group)
    assert refused.text == "活动已结束"


async def test_multi_ballot_campaign_gets_no_poll(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    [refused] = await driver.send(ADMIN, f"/campaign_poll {cid}")
    assert refused.text == "群投票只适用于只有一个问题、选项不超过 12 个且正在进行的活动"


@pytest.mark.parametrize(
    "command",
    [
        "/campaign_new",
        "/campaigns",
        "/campaign_open 1",
        "/campaign_close 1",
        "/results 1",
        "/campaign_announce 1",
        "/campaign_publish 1 合格",
        "/campaign_card 1",
        "/campaign_poll 1",
    ],
)
async def test_staff_commands_refuse_citizens(driver: Driver, command: str) -> None:
    [answer] = await driver.send(CITIZEN, command)
    assert answer.text == "这个命令只有管理员可以使用。"


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/campaign_open", "/campaign_open 编号"),
        ("/results x", "/results 编号"),
        (
            "/campaign_publish 1",
            "/campaign_publish 编号 公示内容（可附文件：把命令写在文件说明里）",
        ),
    ],
)
async def test_bad_arguments_get_usage(driver: Driver, command: str, usage: str) -> None:
    [answer] = await driver.send(ADMIN, command)
    assert answer.text == f"用法：{usage}"


async def test_bad_yaml_document_gets_field_and_line(driver: Driver, engine: Engine) -> None:
    Clock(driver)
    text = "title: 春季\nballots:\n  - title: 食品\n    options: [猪肉]\nvote_rule: weekly\n"
    answer = await upload(driver, text, name="spring.yml")
    assert answer.text == (
        "❌ 活动文件有 2 处错误，没有创建活动：\n"
        "• spring.yml:4: ballots[1].options：选项应有 2-30 个（现有 1 个）\n"
        "• spring.yml:5: vote_rule：投票规则应为 campaign / daily 之一（现为 'weekly'）\n"
        "改好后请重新发送文件（示例见 examples/campaign.yaml）。"
    )
    with Session(engine) as session:
        assert session.exec(select(Campaign)).all() == []


async def test_campaign_new_step_by_step(driver: Driver, engine: Engine) -> None:
    Clock(driver)
    answer = functools.partial(answer_prompt, driver)
    [first] = await driver.send(ADMIN, "/campaign_new")
    assert (first.text or "").startswith("【新建活动】第 1 步")
    assert "说明" in await answer("夏季你点我检")
    assert "问题标题" in await answer("-")
    assert "选项" in await answer("食品品种")
    assert await answer("猪肉") == (
        "【新建活动】❌ 选项应有 2-30 个（现有 1 个）\n"
        "“食品品种”的选项：每行一个，或用顿号、逗号隔开（2-30 个，每个不超过 30 字）。"
    )
    assert "最多可选几项" in await answer("猪肉、蔬菜、冷饮")
    assert "是必答题吗" in await answer("2")
    await driver.press(ADMIN, driver.last(ADMIN), "必答")
    assert "还要再加一个吗" in (driver.last(ADMIN).text or "")
    more = driver.last(ADMIN)
    assert more.buttons == [["➕ 再加一个问题", "✅ 问题已齐"]]
    await driver.press(ADMIN, more, "✅ 问题已齐")
    assert "所在镇/街道" in (driver.last(ADMIN).text or "")
    await answer("-")
    await driver.press(ADMIN, driver.last(ADMIN), "每人每天一次")
    await driver.press(ADMIN, driver.last(ADMIN), "投票中即可看")
    await driver.press(ADMIN, driver.last(ADMIN), "不允许")
    confirm = await answer("2027-03-02 08:00 至 2027-03-09 20:00")
    assert "规则：每人每天一次，当天可修改" in confirm
    assert "猪肉、蔬菜、冷饮" in confirm
    [preview] = await driver.press(ADMIN, driver.last(ADMIN), "💾 保存草稿")
    assert (preview.text or "").startswith("活动 #1 预览（草稿）")
    assert preview.buttons == [["▶️ 开始投票", "🗑 删除草稿"]]
    with Session(engine) as session:
        campaign = session.exec(select(Campaign)).one()
        assert (campaign.title, campaign.vote_rule, campaign.results_visibility) == (
            "夏季你点我检",
            "daily",
            "live",
        )
        assert session.exec(select(CampaignDraft)).all() == []
    assert campaign_jobs(driver) == ["campaign:1:close", "campaign:1:open"]


async def test_campaign_new_refuses_old_prompts_and_cancels(
    driver: Driver, engine: Engine
) -> None:
    [first] = await driver.send(ADMIN, "/campaign_new")
    user = driver.user(ADMIN)
    user.send("秋季", reply_to=first.message_id)
    await driver.settle()
    user.send("又一个标题", reply_to=first.message_id)  # the title prompt was answered already
    await driver.settle()
    assert driver.last(ADMIN).text == "请回复最新的那条提示（发送 /campaign_new 重新开始）"
    user.send("取消", reply_to=driver.messages(ADMIN)[-2].message_id)
    await driver.settle()
    assert driver.last(ADMIN).text == "已取消新建活动。"
    with Session(engine) as session:
        assert session.exec(select(CampaignDraft)).all() == []


async def test_admin_results_send_text_charts_and_workbook(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    shown = await tick(
        driver, CITIZEN, await ballot(driver, CITIZEN, cid), "水果", "超市", "城关街道"
    )
    await driver.press(CITIZEN, shown, "📮 提交")
    text, chart_food, chart_place, chart_towns, book = await driver.send(ADMIN, f"/results {cid}")
    assert "活动 #1 · 投票中" in (text.text or "")
    assert "城关街道：1 人（100.0%）" in (text.text or "")
    assert all("photo" in c.media for c in (chart_food, chart_place, chart_towns))
    assert book.media["document"]["file_name"] == f"campaign_{cid}.xlsx"


async def test_startup_applies_missed_transitions_and_schedules_the_rest(
    driver: Driver, engine: Engine
) -> None:
    from scheduler.campaigns import resume_campaigns

    clock = Clock(driver)
    late = CAMPAIGN_YAML.format(rule="campaign", results="live")
    await upload(driver, late + "starts_at: 2027-03-01 09:00\nends_at: 2027-03-01 12:00\n")
    await upload(driver, late + "starts_at: 2027-03-05 09:00\n")
    clock.advance(hours=3)  # the bot was down past the first campaign's end
    await resume_campaigns(driver.application)
    with Session(engine) as session:
        statuses = [
            c.status for c in session.exec(select(Campaign).order_by(col(Campaign.id))).all()
        ]
    assert statuses == ["draft", "draft"]  # the first ended before it ever opened
    assert campaign_jobs(driver) == ["campaign:2:open"]
    clock.advance(days=4)
    [job] = driver.application.job_queue.get_jobs_by_name("campaign:2:open")  # type: ignore[union-attr]
    await job.run(driver.application)
    with Session(engine) as session:
        assert session.get(Campaign, 2).status == "open"  # type: ignore[union-attr]


async def test_results_after_close_are_for_voters_only(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver, CAMPAIGN_YAML.format(rule="campaign", results="after_close"))
    shown = await tick(
        driver, CITIZEN, await ballot(driver, CITIZEN, cid), "水果", "超市", "城关街道"
    )
    await driver.press(CITIZEN, shown, "📮 提交")
    await driver.send(ADMIN, f"/campaign_close {cid}")
    [voter_list] = await driver.send(CITIZEN, "/vote")
    assert voter_list.buttons == [["📊 春季你点我检"]]
    [results] = await driver.press(CITIZEN, voter_list, "📊 春季你点我检")
    assert "1. 水果　1 票（100.0%）" in (results.text or "")
    # Someone who never voted sees no results button, and a forged one is refused.
    [other_list] = await driver.send(OTHER, "/vote")
    assert other_list.buttons == []
    assert await driver.press_data(OTHER, other_list, f"vote:r:{cid}") == []
    assert driver.last_answer() == "这个活动的结果只向参加了投票的人公开"


@pytest.mark.parametrize(
    ("today", "title", "window"),
    [
        (T0, "2027年春季你点我检", "2027-03-02 08:00 至 2027-03-21 20:00"),
        (
            T0.replace(month=12, day=31),
            "2027年冬季你点我检",
            "2028-01-01 08:00 至 2028-01-20 20:00",
        ),
    ],
)
async def test_campaign_new_examples_are_from_today_and_can_be_copied(
    driver: Driver, engine: Engine, today: datetime, title: str, window: str
) -> None:
    Clock(driver, today)
    answer = functools.partial(answer_prompt, driver)
    [first] = await driver.send(ADMIN, "/campaign_new")
    assert f"例如“{title}”" in (first.text or "")
    await answer(title)  # the example, copied
    await answer("-")
    await answer("食品品种")
    await answer("猪肉、蔬菜")
    await answer("1")
    await driver.press(ADMIN, driver.last(ADMIN), "必答")
    await driver.press(ADMIN, driver.last(ADMIN), "✅ 问题已齐")
    await answer("-")
    await driver.press(ADMIN, driver.last(ADMIN), "每人一次（结束前可改）")
    await driver.press(ADMIN, driver.last(ADMIN), "结束后可看")
    prompt = driver.last(ADMIN)
    await driver.press(ADMIN, prompt, "不允许")
    prompt_text = driver.last(ADMIN).text or ""
    assert window in prompt_text and f"- 至 {window.split(' 至 ')[1]}" in prompt_text
    confirm = await answer(window)  # copied too
    assert confirm.startswith("【新建活动】请确认下面的活动")
    await driver.press(ADMIN, driver.last(ADMIN), "💾 保存草稿")
    with Session(engine) as session:
        assert session.exec(select(Campaign.title)).one() == title


OPTIONAL_YAML = CAMPAIGN_YAML.format(rule="campaign", results="live").replace(
    "    options: [超市, 农贸市场, 网店]\n",
    "    options: [超市, 农贸市场, 网店]\n    optional: true\n",
)


async def test_ballot_says_one_submit_keeps_ticks_and_lets_optional_be_skipped(
    driver: Driver, engine: Engine
) -> None:
    Clock(driver)
    cid = await create_open(driver, OPTIONAL_YAML)
    shown = await ballot(driver, CITIZEN, cid)
    assert "3 道题都选好后，点一次“提交”，提交后才算数。" in (shown.text or "")
    assert "每题选好后" not in (shown.text or "")
    shown = await tick(driver, CITIZEN, shown, "猪肉", "超市")
    # The voter leaves and opens the ballot again: the unsubmitted ticks are still there.
    [listing] = await driver.send(CITIZEN, "/vote")
    [again] = await driver.press(CITIZEN, listing, "🗳 春季你点我检")
    assert "• 食品品种：猪肉" in (again.text or "") and "• 抽样场所：超市" in (again.text or "")
    # 抽样场所 is optional: its page offers 都不选/不适用, which clears its ticks.
    await driver.press(CITIZEN, again, "下一题 ➡️")
    page = current(driver, again)
    assert "（最多选 1 项，可不选）" in (page.text or "")
    assert ["都不选/不适用"] in page.buttons
    await driver.press(CITIZEN, page, "都不选/不适用")
    page = current(driver, again)
    assert ["✅ 都不选/不适用"] in page.buttons and "✅ 超市" not in str(page.buttons)
    page = await tick(driver, CITIZEN, page, "城关街道")
    await driver.press(CITIZEN, page, "📮 提交")
    assert driver.last_answer() == "✅ 已提交"
    with Session(engine) as session:
        [stored] = session.exec(select(Vote)).all()
        labels = session.exec(
            select(BallotOption.label).join(VoteChoice).where(VoteChoice.vote_id == stored.id)
        ).all()
    assert labels == ["猪肉"]
    # The required question still is: with 食品品种 empty, 提交 is refused.
    other = await tick(driver, OTHER, await ballot(driver, OTHER, cid), "城关街道")
    await driver.press(OTHER, other, "📮 提交")
    assert driver.last_answer() == "“食品品种”还没有选，请每题至少选一项"


async def test_the_refresh_sweep_opens_a_campaign_whose_job_was_lost(
    driver: Driver, engine: Engine
) -> None:
    clock = Clock(driver)
    timed = CAMPAIGN_YAML.format(rule="campaign", results="live")
    await upload(driver, timed + "starts_at: 2027-03-05 09:00\n")
    [job] = driver.application.job_queue.get_jobs_by_name("campaign:1:open")  # type: ignore[union-attr]
    job.schedule_removal()  # the worker holding it died before the start time
    clock.advance(days=6)
    [refresh] = driver.application.job_queue.get_jobs_by_name("campaigns:refresh")  # type: ignore[union-attr]
    await refresh.run(driver.application)
    with Session(engine) as session:
        assert session.get(Campaign, 1).status == "open"  # type: ignore[union-attr]
