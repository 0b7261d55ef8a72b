"""What the fault scenarios share: the served emulator, traffic, and counting answers.

A user's update is answered when the bot sent that chat a reply (the "稍后回复" notice and the
apology do not count); lost = sent but never answered; duplicated = answered more than once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.db import make_engine
from bot.inbox.store import counts, uncertain
from bot.render import render
from bot.sandbox.workers import ROOT, Sandbox, serving, wait_for

__all__ = [
    "Skipped",
    "answers",
    "figures",
    "free_port",
    "postgres_url",
    "running_sandbox",
    "scratch_database",
    "send_all",
    "settle",
    "start_ready",
    "webhook_env",
    "with_uncertain",
]

WARM_UP_USER = 1


class Skipped(Exception):
    """The scenario cannot run here (say, no PostgreSQL); the message says why."""


def postgres_url() -> str:
    """The PostgreSQL server to make scratch databases on, or Skipped."""
    url = os.environ.get("FAULTS_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        raise Skipped("needs FAULTS_DATABASE_URL or TEST_DATABASE_URL (PostgreSQL)")
    return url


@contextlib.contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new database on the server, at the latest schema; dropped afterwards."""
    name = f"faults_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = make_url(url).set(database=name).render_as_string(hide_password=False)
    # The schema of the bot under test (FAULTS_BOT_ROOT may be another checkout).
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=bot_root(),
        env={**os.environ, "DATABASE_URL": scratch},
        check=True,
        capture_output=True,
    )
    try:
        yield scratch
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bot_root() -> Path:
    """The checkout whose bot the workers run: FAULTS_BOT_ROOT measures another (e.g. main)."""
    return Path(os.environ.get("FAULTS_BOT_ROOT", ROOT))


@contextlib.asynccontextmanager
async def running_sandbox(db_url: str) -> AsyncIterator[Sandbox]:
    """The served emulator running FAULTS_BOT_ROOT's bot (this checkout by default)."""
    async with serving(db_url, root=bot_root()) as box:
        yield box


async def start_ready(box: Sandbox, log: Path, *args: str, **env: str) -> None:
    """Start a worker and wait until it answers (start-up takes a while on a busy machine)."""
    box.start_bot(*args, log=log, **env)
    before = len(box.emu.messages(WARM_UP_USER))
    box.emu.user(WARM_UP_USER).send("/help")
    await wait_for(lambda: len(box.emu.messages(WARM_UP_USER)) > before, timeout=180)


def free_port() -> int:
    """A local port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_env(port: int, *, url_port: int | None = None) -> dict[str, str]:
    """Settings of a webhook worker listening on port; Telegram calls url_port (default: port)."""
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{url_port or port}/hook",
        "WEBHOOK_SECRET": "fault_secret_123",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_LISTEN": "127.0.0.1",
    }


def send_all(box: Sandbox, users: Iterable[int], text: str) -> list[int]:
    """Each user sends text once; the users."""
    sent = []
    for uid in users:
        box.emu.user(uid).send(text)
        sent.append(uid)
    return sent


def answers(box: Sandbox, users: Iterable[int]) -> dict[int, int]:
    """Replies per user, the late notice and the apology left out: they answer nothing."""
    not_answers = {render("late_notice"), render("error")}
    return {uid: sum(m.text not in not_answers for m in box.emu.messages(uid)) for uid in users}


def figures(box: Sandbox, users: list[int]) -> dict[str, int]:
    """sent / answered / lost / duplicated."""
    per_user = answers(box, users)
    answered = sum(n > 0 for n in per_user.values())
    return {
        "sent": len(users),
        "answered": answered,
        "lost": len(users) - answered,
        "duplicated": sum(n > 1 for n in per_user.values()),
    }


def with_uncertain(
    box: Sandbox, result: dict[str, int], db_url: str | None = None
) -> dict[str, int]:
    """Add how many replies were in flight when a worker died (the most that may repeat)."""
    engine = make_engine(db_url or box.db_url)
    try:
        result["uncertain"] = uncertain(engine)
    except SQLAlchemyError:  # a bot without the inbox (the before figure)
        pass
    finally:
        engine.dispose()
    return result


def _open_rows(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        state = counts(engine)
    except SQLAlchemyError:  # a bot without the inbox (the before figure)
        return 0
    finally:
        engine.dispose()
    return state.get("pending", 0) + state.get("claimed", 0)


async def settle(
    box: Sandbox,
    users: list[int],
    *,
    quiet: float = 20,
    limit: float = 240,
    db_url: str | None = None,
) -> None:
    """Wait until every user is answered and the inbox is empty, or nothing moves for quiet s.

    db_url: where this process reads the inbox (the workers' URL unless that goes through
    something served on this event loop, which a blocking read would stall).
    """
    deadline = time.monotonic() + limit
    last, changed = -1, time.monotonic()
    while time.monotonic() < deadline:
        seen = sum(answers(box, users).values())
        if seen != last:
            last, changed = seen, time.monotonic()
        if figures(box, users)["lost"] == 0 and _open_rows(db_url or box.db_url) == 0:
            return
        if time.monotonic() - changed > quiet:
            return
        await asyncio.sleep(0.5)  # the emulator serves the bot meanwhile
