"""Thousands of simultaneous calls on one event loop stay consistent."""

from __future__ import annotations

import asyncio

from bot.sandbox import BotApiEmulator
from tests.sandbox.helpers import AnyApp


async def test_thousands_of_concurrent_sends(app: AnyApp, emu: BotApiEmulator) -> None:
    emu.limits.enabled = False
    users = [emu.user(10_000 + i) for i in range(50)]
    sends = [
        app.bot.send_message(u.id, f"第{n}条 <b>通知</b>", parse_mode="HTML")
        for n in range(40)
        for u in users
    ]
    results = await asyncio.gather(*sends)
    assert len(results) == 2000
    for user in users:
        ids = [m.message_id for m in emu.messages(user.id)]
        assert ids == list(range(1, 41))
    assert emu.stats.requests["sendMessage"] == 2000


async def test_sends_edits_and_polls_interleave(app: AnyApp, emu: BotApiEmulator) -> None:
    emu.limits.enabled = False
    user = emu.user(1001)
    # A long poll that outlasts a thousand requests on a loaded machine: it must end because
    # the user wrote, never because it timed out first.
    poll = asyncio.create_task(app.bot.get_updates(timeout=60))
    sent = await asyncio.gather(*(app.bot.send_message(user.id, str(i)) for i in range(500)))
    edits = [app.bot.edit_message_text(f"改{m.text}", user.id, m.message_id) for m in sent]
    await asyncio.gather(*edits)
    user.send("完成")
    updates = await asyncio.wait_for(poll, 30)
    assert [u.message.text for u in updates] == ["完成"]
    assert all(m.text.startswith("改") for m in emu.messages(user.id))  # type: ignore[union-attr]
    assert all(len(m.history) == 1 for m in emu.messages(user.id))


async def test_rate_limit_holds_under_concurrency(app: AnyApp, emu: BotApiEmulator) -> None:
    users = [emu.user(20_000 + i) for i in range(100)]
    results = await asyncio.gather(
        *(app.bot.send_message(u.id, "广播") for u in users), return_exceptions=True
    )
    delivered = [r for r in results if not isinstance(r, BaseException)]
    assert len(delivered) == 30  # the manual clock never moves: exactly one second's worth
    assert emu.stats.rate_limited == 70
