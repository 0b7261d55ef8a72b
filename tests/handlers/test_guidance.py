from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.guidance.statutes import import_statute
from bot.models import Feedback, PendingQuestion, QuestionLog, as_utc
from bot.sandbox.driver import Driver
from knowledge.statutes import parse_statute_file
from scheduler.pending import notify_pending
from tests.conftest import ADMIN

ASKER = 30001
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def import_corpus(engine, *names: str) -> None:
    if not CORPUS.exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    with Session(engine) as session:
        for name in names:
            import_statute(session, parse_statute_file(CORPUS / name))


async def test_ask_source_not_solved_leave_reply_journey(driver: Driver, engine) -> None:
    import_corpus(engine, "food-safety-law-2025.md", "shandong-food-safety-regulation.md")
    [answer] = await driver.send(ASKER, "健康证多久办一回")
    assert "每年" in answer.text
    assert "依据：《中华人民共和国食品安全法》第四十五条（2025年12月1日起施行）" in answer.text
    assert "依据：《山东省食品安全条例》第十五条（2024年3月1日起施行）" in answer.text
    assert answer.buttons[0] == ["📖 查看原文"]
    assert answer.buttons[1] == ["👍 有用", "👎 没解决"]
    assert len(answer.buttons) == 5  # three related questions

    sources = await driver.press(ASKER, answer, "📖 查看原文")
    text = "\n".join(m.text or "" for m in sources)
    assert "《中华人民共和国食品安全法》第四十五条" in text
    assert "食品生产经营者应当建立并执行从业人员健康管理制度" in text  # the article itself
    assert "《山东省食品小作坊小餐饮和食品摊点管理条例》第十一条" in text
    # That statute was not imported: no invented text, and no server command for a shop owner.
    assert "2017年6月1日起施行的这一版原文暂时还不能在这里查看（本助手不会凭空编写条文）。" in text
    assert "python" not in text and "corpus" not in text
    assert "版本" not in text
    assert "<i>2025年12月1日起施行</i>" in sources[0].html

    [sorry] = await driver.press(ASKER, answer, "👎 没解决")
    assert driver.last_answer() == "抱歉没帮上忙。可以点“留给工作人员”，我们会人工回复您。"
    [left] = await driver.press(ASKER, sorry, "📝 留给工作人员")
    assert "已把您的问题留给工作人员（编号 #1）" in left.text
    await driver.press(ASKER, sorry, "📝 留给工作人员")  # a double tap queues nothing new

    with Session(engine) as session:
        [item] = session.exec(select(PendingQuestion)).all()
        assert (item.text, item.status, item.user_id) == ("健康证多久办一回", "open", ASKER)
        [feedback] = session.exec(select(Feedback)).all()
        assert feedback.helpful is False

    [listing] = await driver.send(ADMIN, "/pending")
    assert "#1" in listing.text
    assert "健康证多久办一回" in listing.text

    [done] = await driver.send(ADMIN, "/reply 1 每年一次，请到县疾控中心办理。")
    assert done.text == "已回复 #1，提问者已收到。"
    reply = driver.last(ASKER)
    assert "工作人员回复了您的问题" in reply.text
    assert "每年一次，请到县疾控中心办理。" in reply.text

    [again] = await driver.send(ADMIN, "/reply 1 再回复一次")
    assert "没有编号为 #1 的待回复留言" in again.text


async def test_out_of_scope_question_is_declined_and_can_be_left(driver: Driver, engine) -> None:
    [reply] = await driver.send(ASKER, "红烧肉怎么做")
    assert "没有找到" in reply.text
    assert "12315" in reply.text
    assert reply.buttons == [["📝 留给工作人员"]]
    with Session(engine) as session:
        log = session.exec(select(QuestionLog)).one()
        assert (log.outcome, log.entry_id) == ("none", None)


async def test_unsure_question_offers_suggestions(driver: Driver) -> None:
    [reply] = await driver.send(ASKER, "小饭馆要不要配食品安全员")
    assert reply.text.startswith(("没能确定", "小饭馆")) or "依据" in reply.text
    if "您是不是想问" in reply.text:
        first = reply.buttons[0][0]
        [chosen] = await driver.press(ASKER, reply, first)
        assert "依据" in chosen.text


async def test_feedback_buttons_belong_to_the_asker(driver: Driver, engine) -> None:
    [answer] = await driver.send(ASKER, "健康证多久办一回")
    log_id = answer.callback_data[1].split(":")[2]
    await driver.press_data(40004, answer, f"ans:fb:{log_id}:1", chat_id=ASKER)
    assert driver.last_answer() == "按钮已失效，请重新打开菜单"
    await driver.press_data(ASKER, answer, f"ans:leave:{int(log_id) + 99}")
    assert driver.last_answer() == "按钮已失效，请重新打开菜单"
    with Session(engine) as session:
        assert session.exec(select(Feedback)).all() == []
        assert session.exec(select(PendingQuestion)).all() == []


async def test_staff_commands_refuse_non_admins(driver: Driver) -> None:
    for command in ("/pending", "/reply 1 hi", "/dismiss 1", "/stats", "/pending_export"):
        [reply] = await driver.send(ASKER, command)
        assert reply.text == "这个命令只有管理员可以使用。"


async def test_dismiss_export_and_stats(driver: Driver, engine) -> None:
    [no] = await driver.send(ASKER, "今天天气怎么样")
    await driver.press(ASKER, no, "📝 留给工作人员")
    [yes] = await driver.send(ASKER, "外卖要贴那个封条吗")
    await driver.press(ASKER, yes, "👍 有用")
    [bad_usage] = await driver.send(ADMIN, "/reply abc")
    assert bad_usage.text.startswith("用法：/reply 编号 回复内容")
    [dismissed] = await driver.send(ADMIN, "/dismiss 1")
    assert dismissed.text == "已忽略 #1，已告知提问者。"
    told = driver.last(ASKER).text
    assert told.startswith(
        "关于您留给工作人员的问题（#1）\n您问：今天天气怎么样\n\n工作人员查看后"
    )
    [export] = await driver.send(ADMIN, "/pending_export")
    document = export.media["document"]
    assert document["file_name"] == "pending_questions.csv"
    rows = list(
        csv.reader(
            io.StringIO(driver.emulator.file_bytes(document["file_id"]).decode("utf-8-sig"))
        )
    )
    header = ["编号", "提问时间(北京时间)", "用户ID", "问题", "状态", "回复", "处理人"]
    assert rows[0] == [*header, "处理时间(北京时间)"]
    assert rows[1][3:5] == ["今天天气怎么样", "已忽略"]
    with Session(engine) as session:
        item = session.get(PendingQuestion, 1)
        assert item is not None and item.handled_at is not None
        beijing = ZoneInfo("Asia/Shanghai")
        asked = as_utc(item.created_at).astimezone(beijing).strftime("%Y-%m-%d %H:%M")
        handled = as_utc(item.handled_at).astimezone(beijing).strftime("%Y-%m-%d %H:%M")
    assert (rows[1][1], rows[1][7]) == (asked, handled)  # the same clock as every other screen
    [stats] = await driver.send(ADMIN, "/stats")
    assert "提问 2 次" in stats.text
    assert "未找到比例：50.0%" in stats.text
    assert "有用比例：100.0%" in stats.text


async def test_topics_browse_and_page(driver: Driver) -> None:
    [topics] = await driver.send(ASKER, "/topics")
    assert "按主题浏览" in topics.text
    first_topic = topics.buttons[0][0]
    await driver.press(ASKER, topics, first_topic)
    page = driver.emulator.message(ASKER, topics.message_id)
    assert page.text.split("（")[0] in first_topic
    question_button = page.buttons[0][0]
    [entry] = await driver.press(ASKER, page, question_button)
    assert "依据" in entry.text


@pytest.mark.parametrize(
    "text",
    [
        "   ",
        "😀😀😀",
        "food license please",
        "'; DROP TABLE user; --",
        "<script>alert(1)</script>",
        "**粗体** _斜体_ `代码`",
        "健康证 & 营业执照 <办理>",
        "A" * 4096,
    ],
    ids=["blank", "emoji", "english", "sql", "html", "markdown", "specials", "max-length"],
)
async def test_bad_input_gets_a_clear_escaped_reply(driver: Driver, text: str) -> None:
    replies = await driver.send(ASKER, text)
    assert replies, "every text gets an answer"
    for message in replies:
        assert message.text
        assert "<script>" not in (message.html or "")


@pytest.mark.parametrize("text", ["😀😀😀", "123", "👍 ？", "12315!"])
async def test_emoji_or_digits_alone_get_a_short_hint_not_a_request_for_chinese(
    driver: Driver, text: str
) -> None:
    replies = await driver.send(ASKER, text)
    assert [m.text for m in replies] == [
        "请用文字说说您的问题，例如“小饭馆员工健康证多久办一次”。发送 /menu 打开主菜单。"
    ]


async def test_english_is_still_asked_to_use_chinese(driver: Driver) -> None:
    [reply] = await driver.send(ASKER, "food license please")
    assert "请用中文提问。" in reply.text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=300))
async def test_any_text_is_answered_without_a_crash(driver: Driver, text: str) -> None:
    if not text.strip() or text.startswith("/"):
        return  # Telegram does not deliver blank messages; commands are tested elsewhere
    replies = await driver.send(ASKER, text)
    assert len(replies) >= 1
    assert driver.emulator.internal_errors == []


def quiet_hours_as_by_default(driver: Driver) -> None:
    """21:00-08:00 (the test settings have none, so other tests run at any hour)."""
    bot_settings = driver.application.bot_data.settings
    bot_settings.quiet_hours_start, bot_settings.quiet_hours_end = time(21), time(8)


async def _leave(driver: Driver, text: str) -> None:
    [no] = await driver.send(ASKER, text)
    await driver.press(ASKER, no, "📝 留给工作人员")


@pytest.mark.parametrize(
    ("local_time", "listed"),
    [("10:00", 2), ("23:30", 0), ("07:59", 0), ("08:00", 2)],
    ids=["day", "night", "just-before-08", "at-08"],
)
async def test_admins_hear_of_left_questions_in_one_message_and_not_at_night(
    driver: Driver, engine, local_time: str, listed: int
) -> None:
    quiet_hours_as_by_default(driver)
    await driver.send(ADMIN, "/start")  # the bot may write only to those who opened it
    await _leave(driver, "今天天气怎么样")
    await _leave(driver, "红烧肉怎么做")
    hour, minute = (int(x) for x in local_time.split(":"))
    beijing = datetime(2027, 3, 2, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
    driver.application.bot_data.clock = lambda: beijing.astimezone(UTC)
    before = len(driver.emulator.chat_log(ADMIN))
    assert await notify_pending(driver.application) == listed
    digests = driver.emulator.chat_log(ADMIN)[before:]
    if not listed:
        assert digests == []
        return
    [digest] = digests
    assert digest.text.startswith(
        "有 2 条新留言等待回复（目前共 2 条待回复）\n#1 今天天气怎么样\n#2 红烧肉"
    )
    assert await notify_pending(driver.application) == 0  # each question is listed once
    assert len(driver.emulator.chat_log(ADMIN)) == before + 1


async def test_the_nights_questions_arrive_in_the_first_digest_of_the_morning(
    driver: Driver,
) -> None:
    quiet_hours_as_by_default(driver)
    await _leave(driver, "今天天气怎么样")
    shanghai = ZoneInfo("Asia/Shanghai")
    night = datetime(2027, 3, 2, 23, 0, tzinfo=shanghai).astimezone(UTC)
    morning = datetime(2027, 3, 3, 8, 30, tzinfo=shanghai).astimezone(UTC)
    driver.application.bot_data.clock = lambda: night
    assert await notify_pending(driver.application) == 0
    driver.application.bot_data.clock = lambda: morning
    assert await notify_pending(driver.application) == 1
