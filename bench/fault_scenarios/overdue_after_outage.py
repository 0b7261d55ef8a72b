"""Fault scenario: an exam deadline and a tip push fall due while the worker that set their timers
is down; the surviving worker's periodic sweep (not a restart, not a user's button) does both.

Two bot workers share one database and one sandbox, on a clock the scenario moves. A candidate
starts a supervised sitting on worker A; then A stops, taking its deadline timer with it. The
clock jumps past the sitting's deadline and past the labour-day tip's push time (the holiday not
yet begun). Worker B only runs its `run_every` sweeps, in real time. Counted: overdue pieces of
work (sent: 2), done by the sweep (answered), not done within the wait (lost), done twice
(duplicated: two result notices, or a subscriber with two copies of the tip).
"""

from __future__ import annotations

import asyncio
import pathlib
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

NAME = "overdue exam and push after an outage"
INSPECTOR = 900_002
CANDIDATE = 62_001
SUBSCRIBERS = [62_101, 62_102, 62_103]
WAIT = 60.0  # real seconds for the sweeps (every 10 s) to find the work


class Clock:
    """The bot's clock: two years ahead, so no real-time job of the bot fires by itself."""

    def __init__(self) -> None:
        year = datetime.now(UTC).year + 2
        self.now = datetime(year, 4, 20, 12, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now


async def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.2)
    return False


async def _scenario(workdir: pathlib.Path) -> dict[str, int]:
    from sqlmodel import Session, col, select

    from bot.config import Settings
    from bot.db import create_tables, make_engine, session_scope
    from bot.models import Attempt, ScheduledPush, Subscription, User
    from bot.render import label
    from bot.sandbox.driver import Driver
    from bot.sandbox.limits import Limits

    url = f"sqlite:///{workdir / 'outage.db'}"
    engine = make_engine(url)
    create_tables(engine)
    settings = Settings(
        _env_file=None,
        database_url=url,
        inspector_user_ids=[INSPECTOR],
        quiet_hours_start=clock_time(0, 0),
        quiet_hours_end=clock_time(0, 0),
    )
    clock = Clock()
    with session_scope(engine) as session:
        for uid in SUBSCRIBERS:
            session.add(User(id=uid, display_name=f"用户{uid}"))
            session.add(Subscription(user_id=uid, topic="tips", active=True))
        session.commit()
    a = Driver(settings, engine=engine, limits=Limits(enabled=False), app_clock=clock)
    await a.start()
    b = Driver(settings, engine=engine, emulator=a.emulator, app_clock=clock)
    await b.start()
    emu = a.emulator
    for uid in SUBSCRIBERS:
        emu.user(uid)
    try:
        await a.send(INSPECTOR, "/exam_new 某某超市 食品销售 安全员 西山镇 刘一")
        await a.press(INSPECTOR, a.last(INSPECTOR), label("exam_skip"))
        issued = await a.press(INSPECTOR, a.last(INSPECTOR), label("exam_issue"))
        code = (issued[-1].text or "").split("start=exam_")[1].split()[0]
        opened = await a.send(CANDIDATE, f"/start exam_{code}")
        await a.press(CANDIDATE, opened[-1], label("exam_start"))
        await a.stop()  # worker A is gone, and the sitting's deadline timer with it
        clock.now += timedelta(days=9, hours=6)  # 4-29 18:00: deadline and push time passed

        def submitted() -> bool:
            with Session(engine) as session:
                attempt = session.exec(select(Attempt).where(Attempt.user_id == CANDIDATE)).one()
                return attempt.status == "submitted"

        def pushed() -> bool:
            with Session(engine) as session:
                push = session.exec(
                    select(ScheduledPush).where(
                        col(ScheduledPush.occasion) == "labour_day",
                        col(ScheduledPush.year) == clock.now.year,
                    )
                ).one()
            tips = [sum("劳动节" in (m.text or "") for m in emu.messages(u)) for u in SUBSCRIBERS]
            return push.status == "sent" and min(tips) >= 1

        await _wait(lambda: submitted() and pushed(), WAIT)
        await asyncio.sleep(0)  # let a just-finished send settle
        notices = sum("抽考结果" in (m.text or "") for m in emu.messages(INSPECTOR))
        copies = [sum("劳动节" in (m.text or "") for m in emu.messages(u)) for u in SUBSCRIBERS]
        exam_done, push_done = submitted() and notices >= 1, pushed()
    finally:
        await b.stop()
        engine.dispose()
    return {
        "sent": 2,
        "answered": int(exam_done) + int(push_done),
        "lost": int(not exam_done) + int(not push_done),
        "duplicated": int(notices > 1) + int(max(copies) > 1),
        "exam_notices": notices,
        "tip_copies": sum(copies),
    }


def run(workdir: pathlib.Path) -> dict[str, int]:
    """Run the scenario in workdir; the figures."""
    return asyncio.run(_scenario(workdir))
