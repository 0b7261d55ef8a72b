"""Flood limits (429 with retry_after, recovery as the clock moves) and fault injection."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import NetworkError, RetryAfter

from bot.sandbox import BotApiEmulator, Limits, ManualClock
from tests.sandbox.helpers import AnyApp


async def send(emu: BotApiEmulator, chat_id: int, text: str = "x") -> tuple[int, dict[str, Any]]:
    return await emu.call("sendMessage", {"chat_id": chat_id, "text": text})


async def test_private_chat_allows_a_burst_of_3_then_1_per_second(
    emu: BotApiEmulator, clock: ManualClock
) -> None:
    user = emu.user(1001)
    for _ in range(3):
        assert (await send(emu, user.id))[0] == 200
    status, body = await send(emu, user.id)
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    clock.advance(0.5)
    assert (await send(emu, user.id))[0] == 429  # still within the second
    clock.advance(0.5)
    assert (await send(emu, user.id))[0] == 200
    assert (await send(emu, user.id))[0] == 429
    assert emu.stats.rate_limited == 3
    assert len(emu.messages(user.id)) == 4  # refused sends leave no message


async def test_ptb_sees_retry_after(app: AnyApp, emu: BotApiEmulator, clock: ManualClock) -> None:
    user = emu.user(1001)
    for _ in range(3):
        await app.bot.send_message(user.id, "x")
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(user.id, "x")
    assert caught.value.retry_after.total_seconds() == 1  # type: ignore[union-attr]
    clock.advance(1)
    await app.bot.send_message(user.id, "恢复")


async def test_group_allows_20_per_minute_and_edits_count(
    emu: BotApiEmulator, clock: ManualClock
) -> None:
    group = emu.create_group("群", [1001])
    for index in range(19):
        clock.advance(0.1)
        assert (await send(emu, group, str(index)))[0] == 200
    first = emu.messages(group)[0]
    edit = {"chat_id": group, "message_id": first.message_id, "text": "改"}
    assert (await emu.call("editMessageText", edit))[0] == 200
    status, body = await send(emu, group)
    assert status == 429
    # The oldest counted send was 1.9 s ago: the window frees up 58.1 s from now.
    assert body["parameters"] == {"retry_after": 59}
    clock.advance(58.2)
    assert (await send(emu, group))[0] == 200


async def test_global_limit_is_30_per_second(emu: BotApiEmulator, clock: ManualClock) -> None:
    users = [emu.user(2000 + i) for i in range(31)]
    for user in users[:30]:
        assert (await send(emu, user.id))[0] == 200
    status, body = await send(emu, users[30].id)
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    clock.advance(1.0)
    assert (await send(emu, users[30].id))[0] == 200


async def test_private_edits_do_not_count(emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    await send(emu, user.id, "0")
    for index in range(10):
        params = {"chat_id": user.id, "message_id": 1, "text": f"第{index}次"}
        assert (await emu.call("editMessageText", params))[0] == 200


async def test_limits_are_configurable_and_can_be_disabled(clock: ManualClock) -> None:
    emu = BotApiEmulator(clock=clock, limits=Limits(private_burst=1, private_per_second=0.5))
    user = emu.user(1001)
    assert (await send(emu, user.id))[0] == 200
    _, body = await send(emu, user.id)
    assert body["parameters"] == {"retry_after": 2}
    emu.limits.enabled = False
    for _ in range(50):
        assert (await send(emu, user.id))[0] == 200


async def test_polls_photos_and_documents_count(emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    poll = {"chat_id": user.id, "question": "Q", "options": [{"text": "a"}, {"text": "b"}]}
    assert (await emu.call("sendPoll", poll))[0] == 200
    assert (await emu.call("sendPhoto", {"chat_id": user.id, "photo": b"\x89PNG"}))[0] == 200
    assert (await emu.call("sendDocument", {"chat_id": user.id, "document": b"%PDF"}))[0] == 200
    assert (await send(emu, user.id))[0] == 429


async def test_injected_failures(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    emu.inject_failure("sendMessage", 429, retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(user.id, "x")
        assert caught.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]
    await app.bot.send_message(user.id, "第三次成功")
    emu.inject_failure("*", 502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await app.bot.get_me()
    other = emu.user(1002)
    emu.inject_failure("sendMessage", 403, chat_id=other.id)
    await app.bot.send_message(user.id, "别的聊天不受影响")
    status, body = await emu.call("sendMessage", {"chat_id": other.id, "text": "x"})
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    emu.inject_failure("sendMessage", 500, "Internal Server Error: custom")
    status, body = await emu.call("sendMessage", {"chat_id": user.id, "text": "x"})
    assert (status, body["description"]) == (500, "Internal Server Error: custom")
    assert emu.stats.injected_failures == 5
    assert emu.stats.errors[429] == 2
    assert emu.faults.rules == []
