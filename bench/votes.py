"""你点我检 vote throughput and latency through the in-process sandbox.

    python bench/votes.py [--voters 2000] [--concurrency 64] [--db sqlite|postgres|both]

Every button press is a real update handled by the real bot (bot.app) on the emulator.
First each voter opens the ballot by its deep link, ticks two foods, turns the page and ticks
a place; then every voter presses 提交 — the vote: one transaction that replaces the voter's
vote, and the ballot edited into the receipt. At most --concurrency voters act at once, like
PTB's concurrent_updates(64). Printed: votes/s (提交 presses per second of wall time), the p50
and p99 latency of a vote (from the update to the receipt drawn), the p99 of a toggle, whole
ballots per second (open + 4 taps + vote), and whether the stored tally equals what was voted.

Telegram's flood limits are off in the emulator and the bot's client-side limiter is raised
(TELEGRAM_FLOOD_LIMIT): they cap messages per second whatever the bot does, and a vote sends
no message (the ballot is edited into the receipt). PostgreSQL runs when TEST_DATABASE_URL is
set; its tables are dropped and created.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import SQLModel  # noqa: E402

from bot.campaigns import services as svc  # noqa: E402
from bot.campaigns.results import tally  # noqa: E402
from bot.campaigns.spec import BallotSpec, CampaignSpec  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import create_tables, make_engine, session_scope  # noqa: E402
from bot.models import utcnow  # noqa: E402
from bot.sandbox.driver import Driver, process_update  # noqa: E402
from bot.sandbox.limits import Limits  # noqa: E402

ADMIN = 900001
FIRST_ID = 30_000_000
FOODS = ("猪肉", "蔬菜", "水果", "鸡蛋", "水产品", "食用油")
PLACES = ("超市", "农贸市场", "网店", "学校周边")
TELEGRAM_PRESS_TIMEOUT = 15.0  # a callback query not answered by then is lost for the user


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _fill(driver: Driver, voter: int, campaign_id: int, presses: list[float]) -> None:
    """Open the ballot by its deep link and tick two foods and a place (four presses)."""
    user, app = driver.user(voter), driver.application
    await process_update(app, user.send(f"/start vote_{campaign_id}"))
    ballot = driver.last(voter)
    for label in (FOODS[voter % 6], FOODS[(voter + 1) % 6], "下一题 ➡️", PLACES[voter % 4]):
        started = time.perf_counter()
        await process_update(app, user.press(ballot, label))
        presses.append(time.perf_counter() - started)


async def _submit(driver: Driver, voter: int) -> float:
    """Press 提交: the vote itself; returns its latency."""
    ballot = driver.last(voter)
    started = time.perf_counter()
    await process_update(driver.application, driver.user(voter).press(ballot, "📮 提交"))
    latency = time.perf_counter() - started
    assert (driver.last(voter).text or "").startswith("✅ 已记录您的投票")
    return latency


async def _all(
    voters: range,
    concurrency: int,
    work: Callable[[int], Awaitable[None]],
    waits: list[float] | None = None,
) -> float:
    """Run work for every voter, at most `concurrency` at once; returns the wall time.

    waits: each voter's time from the start, when every voter presses at once, to being done.
    """
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def one(voter: int) -> None:
        async with gate:
            await work(voter)
        if waits is not None:
            waits.append(time.perf_counter() - started)

    await asyncio.gather(*(one(v) for v in voters))
    return time.perf_counter() - started


async def run(database_url: str, count: int, concurrency: int) -> dict[str, float]:
    """Vote with every voter once; return the figures."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        admin_user_ids=[ADMIN],
        telegram_flood_limit=1_000_000.0,
    )
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        SQLModel.metadata.drop_all(engine)
    create_tables(engine)
    spec = CampaignSpec(
        title="基准测试",
        ballots=(BallotSpec("食品品种", FOODS, 2), BallotSpec("抽样场所", PLACES, 1)),
    )
    with session_scope(engine) as session:
        campaign = svc.create_campaign(session, spec, created_by=ADMIN)
        assert campaign.id is not None
        svc.open_campaign(session, campaign.id, now=utcnow())
    driver = Driver(settings, engine=engine, limits=Limits(enabled=False))
    await driver.start()
    driver.emulator.queue_updates = False  # each update is fed straight to the bot below
    voters = range(FIRST_ID, FIRST_ID + count)
    presses: list[float] = []
    submits: list[float] = []
    waits: list[float] = []  # every voter presses 提交 at once: how long until it is answered

    async def fill(voter: int) -> None:
        await _fill(driver, voter, campaign.id or 0, presses)

    async def submit(voter: int) -> None:
        submits.append(await _submit(driver, voter))

    try:
        fill_wall = await _all(voters, concurrency, fill)
        wall = await _all(voters, concurrency, submit, waits)
    finally:
        await driver.stop()
    expected = Counter(
        label for v in voters for label in (FOODS[v % 6], FOODS[(v + 1) % 6], PLACES[v % 4])
    )
    with session_scope(engine) as session:
        results = tally(session, campaign.id)
    engine.dispose()
    assert results is not None
    stored = Counter({r.label: r.count for b in results.ballots for r in b.rows if r.count})
    return {
        "votes_per_s": count / wall,
        "wall_s": wall,
        "ballots_per_s": count / (fill_wall + wall),
        "vote_p50_ms": statistics.median(submits) * 1000,
        "vote_p99_ms": _percentile(submits, 0.99) * 1000,
        "press_p99_ms": _percentile(presses, 0.99) * 1000,
        "exact": float(stored == expected and results.voters == count),
        "within_15s": sum(w <= TELEGRAM_PRESS_TIMEOUT for w in waits) / len(waits),
        "wait_max_s": max(waits),
    }


def _report(name: str, figures: dict[str, float]) -> None:
    print(
        f"{name}: {figures['votes_per_s']:.0f} votes/s ({figures['wall_s']:.1f} s), "
        f"vote p50 {figures['vote_p50_ms']:.1f} ms, vote p99 {figures['vote_p99_ms']:.1f} ms, "
        f"toggle p99 {figures['press_p99_ms']:.1f} ms, "
        f"whole ballots (open + 4 taps + vote) {figures['ballots_per_s']:.0f}/s, "
        f"tally exact: {'yes' if figures['exact'] else 'NO'}, "
        f"presses answered within 15 s: {figures['within_15s']:.1%} "
        f"(all pressed at once, longest {figures['wait_max_s']:.1f} s)"
    )


def _rounds(name: str, url: str, args: argparse.Namespace) -> None:
    """Run the benchmark several times (the machine is shared) and print each and the median."""
    runs = [asyncio.run(run(url, args.voters, args.concurrency)) for _ in range(args.rounds)]
    for number, figures in enumerate(runs, 1):
        _report(f"{name} round {number}", figures)
    rates = [f["votes_per_s"] for f in runs]
    p99s = [f["vote_p99_ms"] for f in runs]
    print(
        f"{name}: median {statistics.median(rates):.0f} votes/s (best {max(rates):.0f}), "
        f"median vote p99 {statistics.median(p99s):.1f} ms"
    )


def main() -> int:
    """Run the benchmark on SQLite and, when configured, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    print(f"{args.voters} voters, {args.concurrency} at a time; a vote is the 提交 press")
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            _rounds("SQLite (file, WAL)", f"sqlite:///{folder}/votes.db", args)
    pg_url = os.environ.get("TEST_DATABASE_URL")
    if args.db in ("postgres", "both"):
        if pg_url:
            _rounds("PostgreSQL", pg_url, args)
        else:
            print("PostgreSQL: skipped (set TEST_DATABASE_URL)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
