"""Two webhook workers share one PostgreSQL inbox; one is killed with SIGKILL mid-traffic.

Telegram calls worker A; worker B receives nothing but claims rows from the shared inbox.
When B dies, A takes over B's claims (B ran on this machine and is gone) and nothing is
restarted. Needs FAULTS_DATABASE_URL or TEST_DATABASE_URL (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from sqlalchemy import select

from bench.fault_scenarios._support import (
    figures,
    free_port,
    postgres_url,
    running_sandbox,
    scratch_database,
    send_all,
    settle,
    start_ready,
    webhook_env,
    with_uncertain,
)
from bot.db import make_engine
from bot.models import InboxUpdate
from bot.sandbox.workers import wait_for

NAME = "webhook-pair-sigkill"
USERS = range(80001, 80301)


def held_by(db_url: str, pid: int) -> int:
    """Rows claimed now by the worker with this process id."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            holders = connection.execute(
                select(InboxUpdate.holder).where(InboxUpdate.state == "claimed")  # type: ignore[arg-type]
            ).scalars()
            return sum(f":{pid}:" in (h or "") for h in holders)
    finally:
        engine.dispose()


async def _scenario(workdir: Path, url: str) -> dict[str, int]:
    port_a, port_b = free_port(), free_port()
    with scratch_database(url) as database:
        async with running_sandbox(database) as box:
            await start_ready(box, workdir / "a.log", "--webhook", **webhook_env(port_a))
            log_b = workdir / "b.log"
            b = box.start_bot("--webhook", log=log_b, **webhook_env(port_b, url_port=port_a))
            await wait_for(lambda: "Webhook set" in log_b.read_text(), timeout=180)
            users = send_all(box, USERS, "/help")
            await wait_for(
                lambda: figures(box, users)["answered"] >= 60 and held_by(database, b.pid) > 0,
                timeout=120,
            )
            b.send_signal(signal.SIGKILL)
            await asyncio.to_thread(b.wait, 30)
            await settle(box, users)
            result = with_uncertain(box, figures(box, users))
            result["taken_over"] = sum(
                int(line.split("Took over ")[1].split()[0])
                for line in (workdir / "a.log").read_text().splitlines()
                if "Took over " in line
            )
            return result


def run(workdir: Path) -> dict[str, int]:
    """Two workers, kill one, count."""
    return asyncio.run(_scenario(workdir, postgres_url()))
