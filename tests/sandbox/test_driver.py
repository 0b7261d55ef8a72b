"""Driver: the project's real Application on the in-process emulator (tests/conftest.py)."""

from __future__ import annotations

import pytest

from bot.sandbox.driver import Driver

# The knowledge loader currently leaks a file handle while jieba reads its user dictionary;
# that is not the Driver's concern, so it does not fail these tests.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


async def test_driver_runs_the_real_bot(driver: Driver) -> None:
    replies = await driver.send(1001, "/start")
    assert replies, "the bot answered /start"
    assert all(m.from_bot for m in replies)
    assert driver.last(1001) is replies[-1]
    assert driver.messages(1001) == replies
    assert driver.emulator.command_list(), "post_init set the command menu"


async def test_think_time_keeps_a_conversation_under_the_chat_limit(driver: Driver) -> None:
    # Five actions in a row, each answered at once: a person pauses between them.
    for text in ("/start", "/help", "/menu", "/help", "/menu"):
        assert await driver.send(1001, text)
    assert driver.emulator.stats.rate_limited == 0


async def test_forged_button_gets_an_answer(driver: Driver) -> None:
    replies = await driver.send(1001, "/start")
    await driver.press_data(1001, replies[-1], "no:such:button")
    assert driver.emulator.callback_answers, "the bot answered the callback query"
    assert driver.last_answer() == driver.emulator.callback_answers[-1].text


def test_last_without_messages_is_a_lookup_error(settings) -> None:
    with pytest.raises(LookupError):
        Driver(settings).last(1001)
