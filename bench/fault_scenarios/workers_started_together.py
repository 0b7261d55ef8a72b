"""Fault scenario: two `python -m bot run --webhook` workers started at the same moment on an
empty database, TRIALS times; each trial gets a new empty PostgreSQL database.

PostgreSQL comes from FAULTS_DATABASE_URL or TEST_DATABASE_URL (its server is used to create and
drop one database per trial); without either, a new SQLite file per trial (postgres: 0). Both
workers run against the HTTP sandbox. Counted: workers launched, workers started (PTB logged
"Application started" and the process lived), and per trial one /start after both started:
sent, answered, lost (no reply in time) and duplicated (more than one reply).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import signal
import socket
import sys
import time
import uuid

NAME = "two workers started together"
TRIALS = 7
TOKEN = "123456789:" + "W" * 35
ROOT = pathlib.Path(__file__).resolve().parents[2]
READY = b"Application started"
START_TIMEOUT = 180.0


def _server_url() -> str | None:
    return os.environ.get("FAULTS_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _database(workdir: pathlib.Path, trial: int):  # type: ignore[no-untyped-def]
    """A new empty database for one trial (dropped afterwards on PostgreSQL)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from bot.db import make_engine

    server = _server_url()
    if not server:
        yield f"sqlite:///{workdir / f'start_{trial}.db'}"
        return
    name = f"faults_start_{uuid.uuid4().hex[:10]}"
    admin = make_engine(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


async def _started(process: asyncio.subprocess.Process) -> bool:
    """Read the worker's output until it says it started (False if it exits or times out)."""
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + START_TIMEOUT
    while READY not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            line = await asyncio.wait_for(process.stdout.readline(), left)
        except TimeoutError:
            return False
        if not line:
            return False
        seen += line
    # Keep draining its output so the pipe never fills up.
    asyncio.get_running_loop().create_task(process.stdout.read())
    return process.returncode is None


async def _trial(api_port: int, database_url: str, emu: object, user_id: int) -> tuple[int, int]:
    """Start two workers together; (how many started, replies to one /start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "WEBHOOK"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{api_port}/bot",
        DATABASE_URL=database_url,
        WEBHOOK_SECRET="faults_secret_123",
        WEBHOOK_LISTEN="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    workers = []
    for _ in range(2):
        port = _free_port()
        workers.append(
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--webhook",
                cwd=ROOT,
                env={**env, "WEBHOOK_PORT": str(port),
                     "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook"},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        )  # fmt: skip
    try:
        started = sum(await asyncio.gather(*(_started(w) for w in workers)))
        replies = 0
        if started:
            emu.user(user_id).send("/start")  # type: ignore[attr-defined]
            deadline = time.monotonic() + 30
            while not emu.messages(user_id) and time.monotonic() < deadline:  # type: ignore[attr-defined]
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # a second (duplicate) reply would come right after
            replies = len(emu.messages(user_id))  # type: ignore[attr-defined]
        return started, replies
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                await asyncio.wait_for(worker.wait(), 30)
            except TimeoutError:
                worker.kill()
                await worker.wait()


async def _scenario(workdir: pathlib.Path) -> dict[str, int]:
    from bot.sandbox.clock import RealClock
    from bot.sandbox.emulator import BotApiEmulator
    from bot.sandbox.http import serve

    emu = BotApiEmulator(TOKEN, clock=RealClock())
    server, port = await serve(emu)
    started = answered = duplicated = 0
    postgres = int(
        bool(os.environ.get("FAULTS_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    )
    try:
        for trial in range(TRIALS):
            with _database(workdir, trial) as url:
                up, replies = await _trial(port, url, emu, 63_001 + trial)
            started += up
            answered += replies >= 1
            duplicated += replies > 1
    finally:
        server.stop()
        await emu.aclose()
    return {
        "sent": TRIALS,
        "answered": answered,
        "lost": TRIALS - answered,
        "duplicated": duplicated,
        "launched": 2 * TRIALS,
        "started": started,
        "postgres": postgres,
    }


def run(workdir: pathlib.Path) -> dict[str, int]:
    """Run the scenario in workdir; the figures."""
    return asyncio.run(_scenario(workdir))
