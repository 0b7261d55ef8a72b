"""getUpdates: offsets, long polling, limits, allowed_updates, conflicts."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import Conflict

from bot.sandbox import BotApiEmulator
from tests.sandbox.helpers import AnyApp, wait_until


async def test_offset_confirms_and_drops_earlier_updates(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001, "张三")
    sent = [user.send(f"第{i}条") for i in range(3)]
    updates = await app.bot.get_updates()
    assert [u.update_id for u in updates] == [s["update_id"] for s in sent]
    assert [u.message.text for u in updates] == ["第0条", "第1条", "第2条"]
    # Without a higher offset the same updates come again.
    assert len(await app.bot.get_updates()) == 3
    assert await app.bot.get_updates(offset=updates[-1].update_id + 1) == ()
    assert emu.pending_updates == 0


async def test_limit_and_negative_offset(emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    ids = [user.send(str(i))["update_id"] for i in range(5)]
    _, body = await emu.call("getUpdates", {"limit": 2})
    assert [u["update_id"] for u in body["result"]] == ids[:2]
    _, body = await emu.call("getUpdates", {"offset": -1})
    assert [u["update_id"] for u in body["result"]] == ids[-1:]
    assert emu.pending_updates == 1


async def test_long_poll_returns_as_soon_as_a_user_writes(
    app: AnyApp, emu: BotApiEmulator
) -> None:
    user = emu.user(1001)
    poll = asyncio.create_task(app.bot.get_updates(timeout=30))
    await wait_until(lambda: emu.updates.waiting == 1)  # the poll is parked, not answered
    assert not poll.done()
    user.send("在吗")
    # Long before its 30 s timeout: the write woke it.
    updates = await asyncio.wait_for(poll, 20)
    assert [u.message.text for u in updates] == ["在吗"]


async def test_long_poll_times_out_empty() -> None:
    emu = BotApiEmulator(validate=False)  # the spec says Integer; 0.2 s keeps the test short
    started = time.monotonic()
    status, body = await emu.call("getUpdates", {"timeout": 0.2})
    assert (status, body["result"]) == (200, [])
    assert time.monotonic() - started > 0.15  # it waited (no upper bound: that times the machine)


async def test_allowed_updates_filter_and_persist(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    sent = await app.bot.send_message(
        user.id, "选", reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    )
    assert await app.bot.get_updates(allowed_updates=["callback_query"]) == ()
    user.send("文字")
    user.press(sent.to_dict(), "a")
    updates = await app.bot.get_updates()  # the filter persists without allowed_updates
    assert [u.callback_query.data for u in updates] == ["a"]
    await app.bot.get_updates(offset=updates[-1].update_id + 1, allowed_updates=[])
    user.send("默认又收到文字")
    assert [u.message.text for u in await app.bot.get_updates()] == ["默认又收到文字"]
    assert emu.updates.filtered == 1


async def test_chat_member_updates_are_opt_in(emu: BotApiEmulator) -> None:
    group = emu.create_group("群", [])
    emu.user(1001).join(group)
    _, body = await emu.call("getUpdates", {})
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["message"]
    _, body = await emu.call(
        "getUpdates",
        {"offset": body["result"][-1]["update_id"] + 1, "allowed_updates": ["chat_member"]},
    )
    emu.user(1002).join(group)
    _, body = await emu.call("getUpdates", {})
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["chat_member"]


async def test_a_second_long_poll_ends_the_first(app: AnyApp, emu: BotApiEmulator) -> None:
    first = asyncio.create_task(app.bot.get_updates(timeout=5))
    await wait_until(lambda: emu.updates.waiting == 1)
    second = asyncio.create_task(app.bot.get_updates(timeout=60))
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 20)
    emu.user(1001).send("hi")
    assert len(await asyncio.wait_for(second, 20)) == 1


async def test_get_updates_conflicts_with_a_webhook(app: AnyApp, emu: BotApiEmulator) -> None:
    await app.bot.set_webhook("https://bot.example.cn/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await app.bot.get_updates()
    await emu.aclose()


async def test_queue_updates_off_returns_updates_only(emu: BotApiEmulator) -> None:
    emu.queue_updates = False
    update = emu.user(1001).send("只返回")
    assert update["message"]["text"] == "只返回"
    assert emu.pending_updates == 0
