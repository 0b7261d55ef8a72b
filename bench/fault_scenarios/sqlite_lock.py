"""Another process holds the SQLite write lock for 40 s; the bot's other replies keep flowing.

The bot runs on a SQLite file in `workdir` (the in-process emulator, Telegram's limits off).
Its users have talked to it before. A second process opens the same file, takes the write lock
(BEGIN IMMEDIATE and a write) and keeps it HOLD_SECONDS; meanwhile every user asks a question
every ASK_EVERY seconds. A question needs no write before its answer: the sender's row is only
read, the question's log row is deferred and written when the lock ends. Returned: questions
sent, answered (a reply came), lost (none came), duplicated (more than one reply), the worst
reply delay in ms, and how many deferred log rows were in the database afterwards (`logged`).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
import time
from typing import Any

NAME = "sqlite_lock"

HOLD_SECONDS = 40.0
ASK_EVERY = 2.0
USERS = 20
FIRST_USER = 70_000_000
QUESTIONS = ("健康证多久办一次", "卖过期的东西罚多少", "进货要留什么记录", "小作坊要办什么证")
ROOT = pathlib.Path(__file__).resolve().parents[2]

# The lock holder: says "locked" once it holds the write lock, then holds it.
_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS fault_lock (at REAL)")
db.execute("INSERT INTO fault_lock VALUES (?)", (time.time(),))
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
print("released", flush=True)
"""


def run(workdir: pathlib.Path) -> dict[str, int]:
    """Run the scenario in workdir; the figures."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    return asyncio.run(_scenario(workdir / "lock.db"))


async def _scenario(database: pathlib.Path) -> dict[str, int]:
    from sqlmodel import func, select

    from bot.config import Settings
    from bot.db import create_tables, make_engine, session_scope
    from bot.models import QuestionLog
    from bot.sandbox.driver import Driver, process_update
    from bot.sandbox.limits import Limits

    url = f"sqlite:///{database}"
    engine = make_engine(url)
    create_tables(engine)
    settings = Settings(_env_file=None, database_url=url, telegram_flood_limit=1_000_000.0)  # type: ignore[call-arg]
    driver = Driver(settings, engine=engine, limits=Limits(enabled=False))
    await driver.start()
    driver.emulator.queue_updates = False
    users = [FIRST_USER + n for n in range(USERS)]
    try:
        for uid in users:  # they have talked to the bot before (their rows exist, seen lately)
            await process_update(driver.application, driver.user(uid).send("/start"))
        with session_scope(engine) as session:
            logged_before = session.exec(select(func.count()).select_from(QuestionLog)).one()
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _HOLDER,
            str(database),
            str(HOLD_SECONDS),
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        assert (await holder.stdout.readline()).decode().strip() == "locked"  # readiness
        started = time.monotonic()
        results = await asyncio.gather(
            *(_ask_while_locked(driver, uid, n, started) for n, uid in enumerate(users))
        )
        await holder.communicate()
        asked = sum(len(r) for r in results)
        logged = await _wait_for_logs(engine, logged_before + asked)
    finally:
        await driver.stop()
        engine.dispose()
    replies = [count for r in results for count, _ in r]
    return {
        "sent": asked,
        "answered": sum(1 for c in replies if c >= 1),
        "lost": sum(1 for c in replies if c == 0),
        "duplicated": sum(1 for c in replies if c > 1),
        "worst_delay_ms": round(max(delay for r in results for _, delay in r) * 1000),
        "logged": logged - logged_before,
    }


async def _ask_while_locked(
    driver: Any, uid: int, offset: int, started: float
) -> list[tuple[int, float]]:
    """Ask every ASK_EVERY seconds while the lock is held: (replies, delay) per question."""
    from bot.sandbox.driver import process_update

    done: list[tuple[int, float]] = []
    await asyncio.sleep(offset * ASK_EVERY / USERS)  # spread the users over the interval
    n = 0
    while time.monotonic() - started < HOLD_SECONDS - ASK_EVERY:
        before = len(driver.messages(uid))
        sent_at = time.monotonic()
        update = driver.user(uid).send(QUESTIONS[(uid + n) % len(QUESTIONS)])
        await process_update(driver.application, update)
        delay = time.monotonic() - sent_at
        replies = [m for m in driver.messages(uid)[before:] if m.from_bot]
        done.append((len(replies), delay))
        n += 1
        await asyncio.sleep(max(0.0, ASK_EVERY - delay))  # pacing the traffic, not waiting
    return done


async def _wait_for_logs(engine: Any, expected: int, deadline: float = 60.0) -> int:
    """The deferred log rows, once all are written (or what there is after the deadline)."""
    from sqlmodel import func, select

    from bot.db import session_scope
    from bot.models import QuestionLog

    until = time.monotonic() + deadline
    while True:
        with session_scope(engine) as session:
            count = int(session.exec(select(func.count()).select_from(QuestionLog)).one())
        if count >= expected or time.monotonic() > until:
            return count
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(run(pathlib.Path(folder)), ensure_ascii=False))
