"""A polling worker killed with SIGKILL while 300 updates are in flight; a restart finishes."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bench.fault_scenarios._support import (
    figures,
    running_sandbox,
    send_all,
    settle,
    start_ready,
    with_uncertain,
)
from bot.sandbox.workers import wait_for

NAME = "polling-sigkill"
USERS = range(50001, 50301)


async def _scenario(workdir: Path) -> dict[str, int]:
    async with running_sandbox(f"sqlite:///{workdir / 'bot.db'}") as box:
        log = workdir / "polling.log"
        await start_ready(box, log)
        users = send_all(box, USERS, "/help")
        # Every update fetched (Telegram would not send them again) and some answered.
        await wait_for(
            lambda: len(box.emu.updates) == 0 and figures(box, users)["answered"] >= 60, 120
        )
        box.processes[-1].send_signal(signal.SIGKILL)
        await asyncio.to_thread(box.processes[-1].wait, 30)
        await start_ready(box, log)
        await settle(box, users)
        return with_uncertain(box, figures(box, users))


def run(workdir: Path) -> dict[str, int]:
    """Send, kill, restart, count."""
    return asyncio.run(_scenario(workdir))
