"""日管控 at county scale: 2,000 enterprises with three people each, through the sandbox.

    python bench/records.py [--enterprises 2000] [--days 20]

Prints (nothing here is a timed test):
- the daily reminders: the time to claim them and queue one paced broadcast, then the time to
  deliver it to every 安全员 at BROADCAST_RATE 25/s under Telegram's real limits (the floor
  is enterprises / 25 s), duplicates and 429s (goal 0);
- records filed per second through the service (each a zero-risk report in its own
  transaction, as a tap files it), and a second tap on every one (goal: nothing filed twice);
- the coverage query for a month with `--days` days of records per enterprise (target < 200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from sqlalchemy import func, insert  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.app import OFFLINE_TOKEN  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import create_tables, make_engine, session_scope  # noqa: E402
from bot.models import User  # noqa: E402
from bot.records.checklist import first_version  # noqa: E402
from bot.records.coverage import coverage  # noqa: E402
from bot.records.daily import file_zero  # noqa: E402
from bot.records.models import ChecklistVersion, DailyRecord, Enterprise, Member  # noqa: E402
from bot.sandbox.clock import RealClock  # noqa: E402
from bot.sandbox.driver import Driver  # noqa: E402
from bot.sandbox.emulator import BotApiEmulator  # noqa: E402
from bot.sandbox.limits import Limits  # noqa: E402
from knowledge.checklists import SECTORS, load_checklists  # noqa: E402
from scheduler.records import tick  # noqa: E402

FIRST_ID = 20_000_000
MONTH = date(2027, 3, 1)
TOWNSHIPS = ["城关街道", "南关街道", "北关街道", "开发区", "东城镇", "西城镇", "南湖镇", "北山乡"]
SHANGHAI = timedelta(hours=8)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC) - SHANGHAI


def seed(engine: Engine, emulator: BotApiEmulator, n: int, days: int) -> list[int]:
    """n enterprises (三 people each, version 1 of their list) and `days` days of records."""
    sectors = list(SECTORS)
    templates = load_checklists()
    opened = _at(1, 0) - timedelta(days=40)
    with session_scope(engine) as session:
        session.execute(
            insert(Enterprise),
            [
                {"name": f"企业{i}", "credit_code": None, "licence_no": f"JY{i:014d}",
                 "sector": sectors[i % len(sectors)], "township": TOWNSHIPS[i % len(TOWNSHIPS)],
                 "check_time": "09:00", "deadline": "18:00", "closed_weekdays": "",
                 "holidays_off": True, "created_at": opened}
                for i in range(n)
            ],
        )  # fmt: skip
        enterprises = list(session.exec(select(Enterprise)).all())
        members, users = [], []
        for k, e in enumerate(enterprises):
            assert e.id is not None
            first_version(session, e.id, templates[e.sector], by=None)
            for j, role in enumerate(("principal", "director", "officer")):
                uid = FIRST_ID + 3 * k + j
                users.append({"id": uid, "display_name": f"用户{uid}", "first_seen": opened,
                              "last_seen": opened})  # fmt: skip
                members.append({"enterprise_id": e.id, "user_id": uid, "role": role,
                                "active": True, "joined_at": opened})  # fmt: skip
        session.execute(insert(User), users)
        session.execute(insert(Member), members)
        session.commit()
        vids = dict(
            session.execute(select(ChecklistVersion.enterprise_id, ChecklistVersion.id)).all()
        )
        rows = []
        for e in enterprises:
            for d in range(1, days + 1):
                if d > 1 and (e.id or 0) % 10 == d % 10:
                    continue  # one day in ten missed
                day = date(2027, 2, 28) - timedelta(days=d - 1)
                rows.append({"enterprise_id": e.id, "day": day,
                             "revision": 0, "version_id": vids[e.id], "zero_risk": True,
                             "problems": 0, "note": "", "reason": "", "filed_by": FIRST_ID,
                             "filed_at": opened, "on_time": d % 7 != 0})  # fmt: skip
        session.execute(insert(DailyRecord), rows)
        session.commit()
    for u in users:
        emulator.user(int(u["id"]))
    return [int(e.id or 0) for e in enterprises]


async def run(args: argparse.Namespace, database_url: str) -> None:
    """Seed, send the day's reminders, file, measure coverage."""
    local = datetime.now(UTC) + SHANGHAI
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        # quiet hours far from the real time now, so the reminders are not held
        quiet_hours_start=(local + timedelta(hours=3)).time().replace(microsecond=0),
        quiet_hours_end=(local + timedelta(hours=4)).time().replace(microsecond=0),
    )
    engine = make_engine(database_url)
    create_tables(engine)
    emulator = BotApiEmulator(OFFLINE_TOKEN, limits=Limits(), clock=RealClock())
    started = time.perf_counter()
    ids = seed(engine, emulator, args.enterprises, args.days)
    print(f"seeded {len(ids)} enterprises x 3 people and {args.days} days of records "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    driver = Driver(settings, engine=engine, emulator=emulator)
    await driver.start()
    try:
        app = driver.application
        started = time.perf_counter()
        launched = await tick(app, now=_at(1, 9, 1))
        queued = time.perf_counter() - started
        for broadcast_id in launched:
            await app.bot_data.extras["broadcast_tasks"][broadcast_id]
        sent = time.perf_counter() - started
        people = {
            role: [FIRST_ID + 3 * k + j for k in range(len(ids))]
            for j, role in enumerate(("主要负责人", "总监", "安全员"))
        }
        copies = {role: [len(emulator.messages(u)) for u in who] for role, who in people.items()}
        total = sum(sum(c) for c in copies.values())
        again = await tick(app, now=_at(1, 9, 2))
        # 1 March 2027 is a Monday and the 1st: the 安全员's daily reminder, the 总监's 周排查
        # and the 主要负责人's 月调度 reminders all fall due at 09:00 and share the pacing.
        received = ", ".join(f"{r} {sum(1 for c in cs if c == 1)}" for r, cs in copies.items())
        print(f"reminders at 09:00 on a Monday the 1st: {len(launched)} broadcasts queued in "
              f"{queued * 1000:.0f} ms; {total} messages ({received}) delivered in {sent:.1f} s "
              f"= {total / sent:.1f}/s (BROADCAST_RATE 25/s, floor {total / 25:.0f} s); "
              f"duplicates {sum(c - 1 for cs in copies.values() for c in cs if c > 1)}; "
              f"429s {emulator.stats.rate_limited}; second tick queued {len(again)}")  # fmt: skip
    finally:
        await driver.stop()
    tz = settings.tz
    started = time.perf_counter()
    for eid in ids:
        with session_scope(engine) as session:
            e = session.get(Enterprise, eid)
            assert e is not None
            file_zero(session, e, date(2027, 3, 1), FIRST_ID, now=_at(1, 10), tz=tz)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for eid in ids:
        with session_scope(engine) as session:
            e = session.get(Enterprise, eid)
            assert e is not None
            filed = file_zero(session, e, date(2027, 3, 1), FIRST_ID, now=_at(1, 10), tz=tz)
            assert filed is not None and not filed.created
    second = time.perf_counter() - started
    with session_scope(engine) as session:
        rows = session.exec(select(func.count()).select_from(DailyRecord).where(
            DailyRecord.day == date(2027, 3, 1))).one()  # fmt: skip
    print(f"records filed: {len(ids) / elapsed:.0f}/s ({len(ids)} in {elapsed:.1f} s); "
          f"second taps {len(ids) / second:.0f}/s; rows for the day {rows} "
          f"(goal {len(ids)})")  # fmt: skip
    timings = []
    for _ in range(7):
        with session_scope(engine) as session:
            started = time.perf_counter()
            groups, total = coverage(session, date(2027, 2, 1), now=_at(1, 12), tz=tz)
            timings.append(time.perf_counter() - started)
    print(f"coverage 2027-02: {len(groups)} township x sector groups, {total.enterprises} "
          f"enterprises, {total.checked_days} days checked; "
          f"median {statistics.median(timings) * 1000:.0f} ms, "
          f"max {max(timings) * 1000:.0f} ms (target < 200 ms)")  # fmt: skip
    engine.dispose()


def main() -> int:
    """Parse the options and run on a fresh SQLite file (or TEST_DATABASE_URL)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, f"sqlite:///{folder}/records.db"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
