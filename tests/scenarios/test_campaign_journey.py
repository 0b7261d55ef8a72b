from __future__ import annotations

import asyncio
import io
import json
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import OFFLINE_TOKEN
from bot.campaigns.exports import CHART_KEY
from bot.config import Settings
from bot.models import Campaign, Delivery, Vote, VoteChoice
from bot.sandbox.driver import Driver, process_update
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.limits import Limits
from bot.sandbox.state import StoredMessage
from bot.tips.subscriptions import set_topic
from tests.campaign_support import (
    CAMPAIGN_YAML,
    Clock,
    ballot,
    create_open,
    current,
    finish_broadcasts,
    receipt,
    tick,
    upload,
)
from tests.conftest import ADMIN, make_settings

VOTERS = (30001, 30002, 30003)
SUBSCRIBER = 30009


async def vote(driver: Driver, user: int, cid: int, *choices: str) -> dict[str, list[str]]:
    shown = await ballot(driver, user, cid)
    for text in [
        b.removeprefix("✅ ") for row in shown.buttons for b in row if b.startswith("✅")
    ]:
        await driver.press(user, current(driver, shown), f"✅ {text}")  # start from scratch
    shown = await tick(driver, user, shown, *choices)
    await driver.press(user, shown, "📮 提交")
    return receipt(current(driver, shown))


def file_bytes(driver: Driver, message: StoredMessage) -> bytes:
    media = message.media
    file_id = media["photo"][-1]["file_id"] if "photo" in media else media["document"]["file_id"]
    return driver.emulator.file_bytes(file_id)


def outcome_messages(driver: Driver, chat: int) -> list[StoredMessage]:
    return [m for m in driver.messages(chat) if "抽检结果公布" in (m.text or m.caption or "")]


async def test_campaign_from_file_to_published_outcome(driver: Driver, engine: Engine) -> None:
    clock = Clock(driver)
    with Session(engine) as session:
        for user in (*VOTERS, SUBSCRIBER):
            driver.user(user)
            await driver.send(user, "/start")  # known users, so subscriptions can be stored
        set_topic(session, user_id=SUBSCRIBER, topic="campaigns", active=True)
        set_topic(session, user_id=SUBSCRIBER, topic="results", active=True)
        set_topic(session, user_id=VOTERS[0], topic="results", active=True)  # voter and subscriber

    # The admin sends the file; the preview offers to open it; the end time is set.
    text = CAMPAIGN_YAML.format(rule="campaign", results="after_close")
    preview = await upload(driver, text + "ends_at: 2027-03-05 20:00\n")
    assert "时间：手动开始 至 2027年3月5日 20:00" in (preview.text or "")
    cid = int((preview.text or "").split("#")[1].split()[0])
    [opened] = await driver.press(ADMIN, preview, "▶️ 开始投票")
    assert opened.text == (
        f"▶️ 活动 #{cid}《春季你点我检》已开始投票。\n"
        f"宣传：/campaign_announce {cid} · 群里发卡片：/campaign_card {cid}"
    )

    # Announcing reaches the 'campaigns' subscriber once, however often the admin asks.
    head, announcement = await driver.send(ADMIN, f"/campaign_announce {cid}")
    assert "将发给 1 位“你点我检活动”的订阅者" in (head.text or "")
    assert announcement.buttons == [["📣 确认发送宣传"]]
    [started] = await driver.press(ADMIN, announcement, "📣 确认发送宣传")
    assert "已开始发送活动 #1 的宣传" in (started.text or "")
    await finish_broadcasts(driver)
    [twice] = await driver.press_data(ADMIN, announcement, f"camp:ann:{cid}")  # a double tap
    assert "已经发送过" in (twice.text or "")
    again, _ = await driver.send(ADMIN, f"/campaign_announce {cid}")
    assert "这个活动的宣传已经发送过（群发 #1），不会重复发送。" in (again.text or "")
    assert driver.last(ADMIN).buttons == []
    await finish_broadcasts(driver)
    [announced] = [m for m in driver.messages(SUBSCRIBER) if "投票开始了" in (m.text or "")]
    assert f"https://t.me/shian_test_bot?start=vote_{cid}" in (announced.html or "")

    # Citizens vote, one changes their mind; results are hidden until the close.
    assert await vote(driver, VOTERS[0], cid, "猪肉", "超市", "城关街道") == {
        "食品品种": ["猪肉"],
        "抽样场所": ["超市"],
        "镇/街道": ["城关街道"],
    }
    await vote(driver, VOTERS[1], cid, "猪肉", "蔬菜", "农贸市场", "东城街道")
    await vote(driver, VOTERS[2], cid, "水果", "网店", "东城街道")
    changed = await vote(driver, VOTERS[2], cid, "蔬菜", "农贸市场", "东城街道")
    assert changed == {"食品品种": ["蔬菜"], "抽样场所": ["农贸市场"], "镇/街道": ["东城街道"]}
    assert "📊 查看结果" not in str(driver.last(VOTERS[0]).buttons)

    # The end time passes: the close job runs; every button now answers 活动已结束.
    clock.advance(days=5)
    [job] = driver.application.job_queue.get_jobs_by_name(f"campaign:{cid}:close")  # type: ignore[union-attr]
    await job.run(driver.application)
    last_ballot = driver.last(VOTERS[0])
    await driver.press(VOTERS[0], last_ballot, "✏️ 修改我的选择")
    assert driver.last_answer() == "活动已结束"
    [late] = await driver.send(SUBSCRIBER, f"/start vote_{cid}")
    assert late.text == "活动已结束"

    # /results: text, one chart per ballot and the workbook; the numbers read back.
    summary, food_chart, place_chart, town_chart, book = await driver.send(
        ADMIN, f"/results {cid}"
    )
    assert "投票人数：3　投票人次：3" in (summary.text or "")
    assert "1. 猪肉　2 票（66.7%）" in (summary.text or "")
    assert "东城街道：2 人（66.7%）" in (summary.text or "")
    figures = json.loads(Image.open(io.BytesIO(file_bytes(driver, food_chart))).info[CHART_KEY])
    assert dict(zip(figures["labels"], figures["counts"], strict=True)) == {
        "猪肉": 2,
        "蔬菜": 2,
        "水果": 0,
        "鸡蛋": 0,
    }
    places = json.loads(Image.open(io.BytesIO(file_bytes(driver, place_chart))).info[CHART_KEY])
    assert places["counts"] == [2, 1, 0]
    towns = json.loads(Image.open(io.BytesIO(file_bytes(driver, town_chart))).info[CHART_KEY])
    assert dict(zip(towns["labels"], towns["counts"], strict=True)) == {
        "城关街道": 1,
        "东城街道": 2,
    }
    workbook = load_workbook(io.BytesIO(file_bytes(driver, book)))
    rows = list(workbook["2.抽样场所"].iter_rows(min_row=2, max_row=4, values_only=True))
    assert rows == [(1, "农贸市场", 2, 2 / 3), (2, "超市", 1, 1 / 3), (3, "网店", 0, 0)]
    assert workbook["原始投票"].max_row == 4  # header + one row per voter

    # Voters may now see the results from /vote.
    [listing] = await driver.send(VOTERS[1], "/vote")
    [results] = await driver.press(VOTERS[1], listing, "📊 春季你点我检")
    assert "1. 农贸市场　2 票（66.7%）" in (results.text or "")

    # Publishing: preview, confirm; each voter and the results subscriber exactly once.
    title, outcome = await driver.send(
        ADMIN, f"/campaign_publish {cid} 猪肉、蔬菜共抽检 40 批次，全部合格。"
    )
    assert "将发给 3 位投票人" in (title.text or "")
    assert "猪肉、蔬菜共抽检 40 批次，全部合格。" in (outcome.text or "")
    await driver.press(ADMIN, outcome, "📣 确认发布")
    await finish_broadcasts(driver)
    [second] = await driver.press_data(ADMIN, outcome, f"camp:pub:{cid}")  # a double tap
    assert "已经发送过" in (second.text or "")
    [repeat] = await driver.send(ADMIN, f"/campaign_publish {cid} 再发一次")
    assert (repeat.text or "").startswith(f"活动 #{cid} 的抽检结果已经公布过了（2027年3月")
    assert repeat.text.endswith("，群发 #2），不会重复发送。发送 /broadcasts 查看发送情况")
    await finish_broadcasts(driver)
    for chat in (*VOTERS, SUBSCRIBER):
        assert len(outcome_messages(driver, chat)) == 1, chat
    with Session(engine) as session:
        assert session.get(Campaign, cid).status == "published"  # type: ignore[union-attr]
        sent = session.exec(select(Delivery.chat_id).where(Delivery.status == "sent")).all()
    assert Counter(sent)[VOTERS[0]] == 1


async def test_outcome_with_a_document(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    await vote(driver, VOTERS[0], cid, "猪肉", "超市", "城关街道")
    await driver.send(ADMIN, f"/campaign_close {cid}")
    driver.user(ADMIN).send_document(
        "抽检结果.pdf", b"%PDF-1.4 results", caption=f"/campaign_publish {cid} 详见附件"
    )
    await driver.settle()
    outcome = driver.last(ADMIN)
    await driver.press(ADMIN, outcome, "📣 确认发布")
    await finish_broadcasts(driver)
    [received] = outcome_messages(driver, VOTERS[0])
    assert received.media["document"]["file_name"] == "抽检结果.pdf"
    assert "详见附件" in (received.caption or "")


async def test_campaign_built_in_chat_with_the_per_day_rule(
    driver: Driver, engine: Engine
) -> None:
    clock = Clock(driver)
    clock.at = clock.at.replace(hour=15, minute=58)  # 23:58 in Beijing
    user = driver.user(ADMIN)
    await driver.send(ADMIN, "/campaign_new")
    for answer in ("夜市你点我检", "-", "小吃", "烧烤、臭豆腐、凉皮", "1"):
        user.send(answer, reply_to=driver.last(ADMIN).message_id)
        await driver.settle()
    await driver.press(ADMIN, driver.last(ADMIN), "必答")
    await driver.press(ADMIN, driver.last(ADMIN), "✅ 问题已齐")
    user.send("-", reply_to=driver.last(ADMIN).message_id)
    await driver.settle()
    for choice in ("每人每天一次", "投票中即可看", "不允许"):
        await driver.press(ADMIN, driver.last(ADMIN), choice)
    user.send("-", reply_to=driver.last(ADMIN).message_id)
    await driver.settle()
    [preview] = await driver.press(ADMIN, driver.last(ADMIN), "💾 保存草稿")
    await driver.press(ADMIN, preview, "▶️ 开始投票")

    assert await vote(driver, VOTERS[0], 1, "烧烤") == {"小吃": ["烧烤"]}
    assert await vote(driver, VOTERS[0], 1, "凉皮") == {"小吃": ["凉皮"]}  # same day: changed
    clock.advance(minutes=3)  # 00:01: a new day in Beijing
    fresh = await ballot(driver, VOTERS[0], 1)
    assert "✅" not in str(fresh.buttons)
    assert await vote(driver, VOTERS[0], 1, "烧烤") == {"小吃": ["烧烤"]}
    summary, *_ = await driver.send(ADMIN, "/results 1")
    assert "投票人数：1　投票人次：2" in (summary.text or "")
    assert "1. 烧烤　1 票（50.0%）" in (summary.text or "")
    assert "1. 凉皮　1 票（50.0%）" in (summary.text or "")
    with Session(engine) as session:
        days = sorted(v.day for v in session.exec(select(Vote)).all())
    assert days == ["2027-03-01", "2027-03-02"]


# --- a crowd of voters at once ----------------------------------------------------------------

# Enough voters at once for updates to interleave in every way the tally must survive; the
# full 2,000-voter run with its throughput figures is bench/votes.py (which checks the tally too).
CROWD = 200
FOODS = ("猪肉", "蔬菜", "水果", "鸡蛋")
PLACES = ("超市", "农贸市场", "网店")
CROWD_YAML = """\
title: 全县你点我检
ballots:
  - title: 食品品种
    max_choices: 2
    options: [猪肉, 蔬菜, 水果, 鸡蛋]
  - title: 抽样场所
    options: [超市, 农贸市场, 网店]
"""


@pytest.fixture
async def crowd_driver(engine: Engine) -> AsyncIterator[Driver]:
    """The bot with Telegram's flood limits off: a crowd at once is the point here."""
    settings: Settings = make_settings(telegram_flood_limit=1_000_000.0)
    # A crowd queueing for one process on a loaded machine can wait longer than Telegram keeps
    # a button press (15 s); this test is about the tally, bench/votes.py about the waiting.
    emulator = BotApiEmulator(
        OFFLINE_TOKEN, limits=Limits(enabled=False), callback_query_timeout=600
    )
    driver = Driver(settings, engine=engine, emulator=emulator)
    await driver.start()
    try:
        yield driver
    finally:
        await driver.stop()
    driver.emulator.assert_clean()


class Voter:
    """One citizen acting on their own ballot; their presses are awaited in order."""

    def __init__(self, driver: Driver, uid: int, gate: asyncio.Semaphore) -> None:
        self.driver, self.uid, self.user, self.gate = driver, uid, driver.user(uid), gate
        self.message: StoredMessage | None = None

    async def act(self, update: dict[str, object]) -> None:
        # At most 64 updates in the bot at once, as PTB's concurrent_updates(64) allows.
        async with self.gate:
            await process_update(self.driver.application, update)

    async def open(self, cid: int) -> None:
        await self.act(self.user.send(f"/start vote_{cid}"))
        self.message = self.driver.last(self.uid)

    def shown(self) -> StoredMessage:
        assert self.message is not None
        return current(self.driver, self.message)

    async def press(self, text: str) -> None:
        await self.act(self.user.press(self.shown(), text))

    async def choose(self, foods: tuple[str, ...], place: str) -> None:
        """Make the ballot show exactly these choices, page by page."""
        if "✏️ 修改我的选择" in str(self.shown().buttons):
            await self.press("✏️ 修改我的选择")
        ticked = {b.removeprefix("✅ ") for row in self.shown().buttons for b in row if "✅" in b}
        for food in ticked - set(foods):  # untick first: two at most may be ticked
            await self.press(f"✅ {food}")
        for food in set(foods) - ticked:
            await self.press(food)
        await self.press("下一题 ➡️")
        if f"✅ {place}" not in {b for row in self.shown().buttons for b in row}:
            await self.press(place)


@pytest.mark.slow
async def test_a_crowd_voting_at_once_is_tallied_exactly(
    crowd_driver: Driver, engine: Engine
) -> None:
    driver = crowd_driver
    Clock(driver)
    driver.user(ADMIN)
    cid = await create_open(driver, CROWD_YAML)
    driver.emulator.queue_updates = False  # from here each voter's updates go to the bot directly
    rng = random.Random(2027)
    gate = asyncio.Semaphore(64)
    last: dict[int, tuple[tuple[str, ...], str]] = {}

    async def citizen(uid: int) -> None:
        voter = Voter(driver, uid, gate)
        await voter.open(cid)
        rounds = 1 + (uid % 3 == 0) + (uid % 7 == 0)  # some change their vote, some twice
        for _ in range(rounds):
            foods = tuple(sorted(rng.sample(FOODS, rng.choice((1, 2))), key=FOODS.index))
            place = rng.choice(PLACES)
            await voter.choose(foods, place)
            taps = 2 if uid % 5 == 0 else 1  # a double tap: two presses of the same button
            updates = [voter.user.press(voter.shown(), "📮 提交") for _ in range(taps)]
            await asyncio.gather(*(voter.act(update) for update in updates))
            last[uid] = (foods, place)
            assert receipt(voter.shown()) == {"食品品种": list(foods), "抽样场所": [place]}

    await asyncio.gather(*(citizen(uid) for uid in range(40_000, 40_000 + CROWD)))
    driver.emulator.queue_updates = True

    expected = Counter(label for foods, place in last.values() for label in (*foods, place))
    summary, *_ = await driver.send(ADMIN, f"/results {cid}")
    for label, count in expected.items():
        assert f"{label}　{count} 票" in (summary.text or ""), label
    with Session(engine) as session:
        assert len(session.exec(select(Vote)).all()) == CROWD
        assert len(session.exec(select(VoteChoice)).all()) == sum(expected.values())
