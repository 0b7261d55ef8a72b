"""A webhook worker killed with SIGKILL while 300 updates are in flight; a restart finishes."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bench.fault_scenarios._support import (
    figures,
    free_port,
    running_sandbox,
    send_all,
    settle,
    start_ready,
    webhook_env,
    with_uncertain,
)
from bot.sandbox.workers import wait_for

NAME = "webhook-sigkill"
USERS = range(60001, 60301)


async def _scenario(workdir: Path) -> dict[str, int]:
    hook = webhook_env(free_port())
    async with running_sandbox(f"sqlite:///{workdir / 'bot.db'}") as box:
        log = workdir / "webhook.log"
        await start_ready(box, log, "--webhook", **hook)
        users = send_all(box, USERS, "/help")
        await wait_for(lambda: figures(box, users)["answered"] >= 60, 120)
        box.processes[-1].send_signal(signal.SIGKILL)
        await asyncio.to_thread(box.processes[-1].wait, 30)
        # Telegram keeps re-delivering what was not answered 200 until the worker is back.
        await start_ready(box, log, "--webhook", **hook)
        await settle(box, users)
        return with_uncertain(box, figures(box, users))


def run(workdir: Path) -> dict[str, int]:
    """Send, kill, restart, count."""
    return asyncio.run(_scenario(workdir))
