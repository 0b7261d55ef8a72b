"""Failures while answering: a timed-out reply gets no false apology, /reply tells the truth."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.kit import send
from bot.models import PendingQuestion
from bot.sandbox.driver import Driver
from tests.conftest import ADMIN

ASKER = 31001
APOLOGY = "出了点问题"


def leave(engine: Engine, text: str = "冷库温度多少合适") -> int:
    with Session(engine) as session:
        item = PendingQuestion(user_id=ASKER, chat_id=ASKER, text=text)
        session.add(item)
        session.commit()
        assert item.id is not None
        return item.id


def status_of(engine: Engine, item_id: int) -> str:
    with Session(engine) as session:
        item = session.get(PendingQuestion, item_id)
        assert item is not None
        return item.status


async def test_a_reply_that_timed_out_is_not_followed_by_an_apology(driver: Driver) -> None:
    driver.user(ASKER)
    driver.emulator.inject_timeout("sendMessage", chat_id=ASKER)
    await driver.send(ASKER, "/help")
    [answer] = driver.emulator.messages(ASKER)  # delivered once; no retry, no apology
    assert "/ask" in (answer.text or "")
    assert driver.emulator.stats.requests["sendMessage"] == 1  # the rate limiter did not retry


async def test_a_failing_handler_apologises_and_logs_the_update_id_not_the_text(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    driver.user(ASKER, "欧阳秘密")
    driver.emulator.inject_failure("sendMessage", 500, chat_id=ASKER)
    with caplog.at_level(logging.DEBUG):
        await driver.send(ASKER, "/help")
    [apology] = driver.emulator.messages(ASKER)
    assert APOLOGY in (apology.text or "")
    [error] = [r for r in caplog.records if r.name == "handlers.errors"]
    assert error.getMessage().startswith("Exception while handling update ")
    assert error.getMessage().endswith(" in handlers.start.help_command")
    assert "欧阳秘密" not in error.getMessage() and "/help" not in error.getMessage()


async def test_reply_to_a_chat_that_is_gone_reports_it_and_keeps_the_question(
    driver: Driver, engine: Engine
) -> None:
    item_id = leave(engine)
    driver.emulator.inject_failure(
        "sendMessage", 400, "Bad Request: chat not found", chat_id=ASKER
    )
    [done] = await driver.send(ADMIN, f"/reply {item_id} 0到4摄氏度。")
    assert done.text == (
        f"回复 #{item_id} 未能送达：提问者的聊天已不存在。"
        f"这条留言仍是待回复，可稍后再试，或用 /dismiss {item_id} 关闭。"
    )
    assert status_of(engine, item_id) == "open"


async def test_reply_to_a_user_who_blocked_the_bot_keeps_the_question(
    driver: Driver, engine: Engine
) -> None:
    item_id = leave(engine)
    driver.user(ASKER).block()
    [done] = await driver.send(ADMIN, f"/reply {item_id} 0到4摄氏度。")
    assert done.text.startswith(f"回复 #{item_id} 未能送达：提问者已屏蔽本助手。")
    assert status_of(engine, item_id) == "open"


async def test_reply_that_timed_out_is_answered_once_and_said_to_be_unconfirmed(
    driver: Driver, engine: Engine
) -> None:
    item_id = leave(engine)
    driver.user(ASKER)
    driver.emulator.inject_timeout("sendMessage", chat_id=ASKER)
    [done] = await driver.send(ADMIN, f"/reply {item_id} 0到4摄氏度。")
    assert done.text == (
        f"已回复 #{item_id}，但发送超时，无法确认提问者是否收到（没有自动重发，以免重复）。"
    )
    assert status_of(engine, item_id) == "answered"
    assert len(driver.emulator.messages(ASKER)) == 1


@pytest.mark.parametrize("blank", ["   ", "\u3000\u200b"])
async def test_a_blank_reply_is_refused_before_any_send(
    driver: Driver, engine: Engine, blank: str
) -> None:
    item_id = leave(engine)
    driver.user(ASKER)
    [usage] = await driver.send(ADMIN, f"/reply {item_id} {blank}")
    assert "/reply 编号 回复内容" in usage.text
    assert driver.emulator.messages(ASKER) == []
    assert status_of(engine, item_id) == "open"


async def test_a_blank_message_is_refused_before_any_request(driver: Driver) -> None:
    driver.user(ASKER)
    assert await send(driver.application.bot, ASKER, " \n\u200b ") is None
    assert driver.emulator.stats.requests["sendMessage"] == 0
    assert driver.emulator.messages(ASKER) == []
