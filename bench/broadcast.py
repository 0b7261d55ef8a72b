"""Broadcast engine throughput and correctness through the in-process sandbox.

    python bench/broadcast.py [--subscribers 10000] [--rate 250] [--default-subscribers 500]

Run 1 (scaled): N subscribers of 节日消费提示, 2% of them blocked, a few 429s injected; the
emulator's global limit and the bot's flood limit are scaled x10 (per-chat limit as is) and
BROADCAST_RATE is raised to match, so 10,000 messages take about 40 s. It prints the achieved
rate as a share of the configured one (goal >= 0.95), duplicates and lost messages (goal 0:
counted per chat in the emulator), wall time and peak RSS.
Run 2 (defaults): Telegram's real limits, BROADCAST_RATE 25, no injected faults; every 429 the
emulator answers was provoked by the engine itself (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# RetryAfter reads its retry_after as a timedelta (PTB's next default), without warnings.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot import broadcasts as svc  # noqa: E402
from bot.app import OFFLINE_TOKEN  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import create_tables, make_engine, session_scope  # noqa: E402
from bot.models import Subscription, User, utcnow  # noqa: E402
from bot.sandbox.clock import RealClock  # noqa: E402
from bot.sandbox.driver import Driver  # noqa: E402
from bot.sandbox.emulator import BotApiEmulator  # noqa: E402
from bot.sandbox.files import UploadedFile  # noqa: E402
from bot.sandbox.limits import Limits  # noqa: E402
from scheduler.broadcasts import launch  # noqa: E402

ADMIN = 900001
FIRST_ID = 10_000_000
TEXT = "<b>2027年春节食品安全消费提示</b>\n到正规渠道购买年货，看清标签、生产日期和保质期。"


class TimedEmulator(BotApiEmulator):
    """The emulator, noting when each sendMessage to a subscriber was answered and how."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sends: list[tuple[float, int]] = []  # (monotonic time, HTTP status)

    async def call(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        *,
        files: Mapping[str, UploadedFile] | None = None,
        token: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run the call and time it when it is a send to a subscriber."""
        status, body = await super().call(method, params, files=files, token=token)
        chat = (params or {}).get("chat_id")
        if method == "sendMessage" and isinstance(chat, int) and chat >= FIRST_ID:
            self.sends.append((time.monotonic(), status))
        return status, body


@dataclass
class Figures:
    """What one run measured."""

    subscribers: int
    blocked: int
    configured_rate: float
    requests: int
    sent: int
    paused: float
    active_seconds: float
    wall_seconds: float
    duplicates: int
    lost: int
    rate_limited: int
    injected: int

    @property
    def achieved_rate(self) -> float:
        """Send requests per second while Telegram allowed sending (429 pauses excluded)."""
        return self.requests / max(self.active_seconds - self.paused, 1e-9)


def _seed(engine: Engine, emulator: BotApiEmulator, ids: list[int]) -> None:
    for uid in ids:
        emulator.user(uid)
    now = utcnow()
    with session_scope(engine) as session:
        session.execute(
            insert(User),
            [{"id": u, "display_name": f"用户{u}", "first_seen": now, "last_seen": now}
             for u in ids],
        )  # fmt: skip
        session.execute(
            insert(Subscription),
            [{"user_id": u, "topic": "tips", "active": True, "created_at": now,
              "updated_at": now} for u in ids],
        )  # fmt: skip
        session.commit()


async def run(
    *,
    subscribers: int,
    rate: float,
    limits: Limits,
    flood_limit: float,
    blocked_share: float,
    injected_429: int,
    database_url: str,
) -> Figures:
    """Broadcast one message to every subscriber and count what each chat received."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        admin_user_ids=[ADMIN],
        broadcast_rate=rate,
        telegram_flood_limit=flood_limit,
    )
    engine = make_engine(database_url)
    create_tables(engine)
    emulator = TimedEmulator(OFFLINE_TOKEN, limits=limits, clock=RealClock())
    driver = Driver(settings, engine=engine, emulator=emulator)
    ids = list(range(FIRST_ID, FIRST_ID + subscribers))
    _seed(engine, emulator, ids)
    emulator.user(ADMIN)
    step = max(1, round(1 / blocked_share)) if blocked_share else 0
    blocked = set(ids[::step]) if step else set()
    for uid in blocked:
        emulator.user(uid).block()  # the bot learns it from the 403, as in real life
    # 429s at chats spread over the run, each asking for a 1 s pause.
    for k in range(injected_429):
        target = ids[(k + 1) * len(ids) // (injected_429 + 1) + 1]
        emulator.inject_failure("sendMessage", 429, retry_after=1, chat_id=target)
    await driver.start()
    try:
        with session_scope(engine) as session:
            broadcast = svc.create_broadcast(
                session, kind="admin", topic="tips", text=TEXT, progress_chat_id=ADMIN
            )
        assert broadcast.id is not None
        started = time.monotonic()
        launch(driver.application, broadcast.id)
        await driver.application.bot_data.extras["broadcast_tasks"][broadcast.id]
        wall = time.monotonic() - started
    finally:
        await driver.stop()
    engine.dispose()
    copies = {uid: len(emulator.messages(uid)) for uid in ids}
    times = [t for t, _ in emulator.sends]
    return Figures(
        subscribers=subscribers,
        blocked=len(blocked),
        configured_rate=rate,
        requests=len(emulator.sends),
        sent=sum(1 for _, s in emulator.sends if s == 200),
        paused=float(injected_429),  # each injected 429 asked for retry_after=1
        active_seconds=(max(times) - min(times)) if times else 0.0,
        wall_seconds=wall,
        duplicates=sum(n - 1 for n in copies.values() if n > 1),
        lost=sum(1 for uid, n in copies.items() if uid not in blocked and n != 1),
        rate_limited=emulator.stats.rate_limited,
        injected=emulator.stats.injected_failures,
    )


def _database(folder: str, name: str) -> str:
    return f"sqlite:///{folder}/{name}.db"


async def main_async(args: argparse.Namespace) -> int:
    """Both runs, then the figures."""
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        scale = args.scale
        big = await run(
            subscribers=args.subscribers,
            rate=args.rate,
            limits=Limits(global_per_second=30 * scale),
            flood_limit=30.0 * scale,
            blocked_share=0.02,
            injected_429=args.injected_429,
            database_url=_database(folder, "scaled"),
        )
        default = await run(
            subscribers=args.default_subscribers,
            rate=25.0,
            limits=Limits(),
            flood_limit=30.0,
            blocked_share=0.0,
            injected_429=0,
            database_url=_database(folder, "default"),
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = big.achieved_rate / big.configured_rate
    provoked = big.rate_limited - args.injected_429
    print(f"scaled run: {big.subscribers} subscribers, {big.blocked} blocked, "
          f"{args.injected_429} x 429 injected (retry_after 1 s), limits x{scale}")  # fmt: skip
    print(f"  configured rate      {big.configured_rate:.0f}/s")
    print(f"  achieved rate        {big.achieved_rate:.1f}/s  (send requests over first-to-last"
          f" send minus {big.paused:.0f} s of 429 pauses)")  # fmt: skip
    print(f"  ratio                {ratio:.3f}  (goal >= 0.95)")
    raw = big.requests / max(big.active_seconds, 1e-9)
    print(f"  with the pauses      {raw:.1f}/s  ratio {raw / big.configured_rate:.3f}")
    print(f"  delivered            {big.sent} of {big.subscribers - big.blocked} reachable")
    print(f"  duplicates           {big.duplicates}  (goal 0)")
    print(f"  lost                 {big.lost}  (goal 0)")
    print(f"  429s beyond injected {provoked}")
    print(f"  wall time            {big.wall_seconds:.1f} s")
    print(f"default run: {default.subscribers} subscribers, BROADCAST_RATE 25, Telegram limits")
    print(f"  429s provoked        {default.rate_limited}  (goal 0)")
    print(f"  achieved rate        {default.achieved_rate:.1f}/s  "
          f"ratio {default.achieved_rate / default.configured_rate:.3f}")  # fmt: skip
    print(f"  duplicates / lost    {default.duplicates} / {default.lost}")
    print(f"  wall time            {default.wall_seconds:.1f} s")
    print(f"peak RSS               {rss_mb:.0f} MB")
    ok = (
        ratio >= 0.95
        and big.duplicates == 0
        and big.lost == 0
        and default.rate_limited == 0
        and default.lost == 0
    )
    return 0 if ok else 1


def main() -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=250.0, help="BROADCAST_RATE, scaled run")
    parser.add_argument("--scale", type=int, default=10, help="global limit multiplier")
    parser.add_argument("--injected-429", type=int, default=5)
    parser.add_argument("--default-subscribers", type=int, default=500)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
