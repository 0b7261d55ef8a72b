"""Question traffic: our bot against a bare python-telegram-bot echo app, in one run.

    python bench/peer.py [--users 200] [--messages 10] [--concurrency 64] [--rounds 3]

Both applications run on the same in-process Bot API emulator code (flood limits off, the
bot's own limiter raised: they cap what Telegram accepts, not what the bot can do), each on its
own emulator, and are fed the same updates: the same users, each sending the same questions in
the same order, at most --concurrency updates at once (like concurrent_updates(64)). An update
is fed straight to Application.process_update, so its time is the handlers' whole work, the
reply included. Both are warmed up with one message first (jieba's dictionary, the first
template). Printed per round and as the median: each app's updates/s, the ratio bot/bare
(target >= 0.3), the bot's answer p50/p99 with --concurrency in flight (each answer waits
for the others' turns on the one event loop) and one question at a time, 20 users x
--messages, nothing else in flight (target p99 <= 10 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters  # noqa: E402

from bot.app import OFFLINE_TOKEN  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.sandbox.driver import Driver, process_update  # noqa: E402
from bot.sandbox.emulator import BotApiEmulator  # noqa: E402
from bot.sandbox.limits import Limits  # noqa: E402
from bot.sandbox.request import SandboxRequest  # noqa: E402

FIRST_ID = 40_000_000
QUESTIONS = (
    "健康证多久办一次",
    "卖过期的东西罚多少",
    "外卖要贴那个封条吗",
    "进货要留什么记录",
    "食品安全总监要做什么",
    "小作坊要办什么证",
    "日管控怎么做",
    "从业人员健康证明",
)

AnyApp = Application[Any, Any, Any, Any, Any, Any]


async def _echo(update: Update, _context: object) -> None:
    """The bare app: reply with the text."""
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def _bare_app(emulator: BotApiEmulator) -> AnyApp:
    request = SandboxRequest(emulator)
    app: AnyApp = (
        ApplicationBuilder()
        .token(OFFLINE_TOKEN)
        .request(request)
        .get_updates_request(request)
        .concurrent_updates(64)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    await app.start()
    return app


async def _feed(
    emulator: BotApiEmulator,
    app: AnyApp,
    users: int,
    messages: int,
    concurrency: int,
) -> tuple[float, list[float]]:
    """Every user sends its messages in order; returns the wall time and each update's time."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(user_id: int) -> None:
        handle = emulator.user(user_id)
        for n in range(messages):
            update: Mapping[str, Any] = handle.send(QUESTIONS[(user_id + n) % len(QUESTIONS)])
            async with gate:
                started = time.perf_counter()
                await process_update(app, update)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(FIRST_ID + u) for u in range(users)))
    return time.perf_counter() - started, latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _bare(users: int, messages: int, concurrency: int) -> tuple[float, list[float]]:
    emulator = BotApiEmulator(OFFLINE_TOKEN, limits=Limits(enabled=False), queue_updates=False)
    app = await _bare_app(emulator)
    try:
        await process_update(app, emulator.user(FIRST_ID - 1).send("预热"))
        return await _feed(emulator, app, users, messages, concurrency)
    finally:
        await app.stop()
        await app.shutdown()
        await emulator.aclose()


async def _bot(
    database_url: str, users: int, messages: int, concurrency: int
) -> tuple[float, list[float], list[float]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_flood_limit=1_000_000.0,
    )
    driver = Driver(settings, limits=Limits(enabled=False))
    await driver.start()
    driver.emulator.queue_updates = False  # each update is fed straight to the bot
    try:
        await process_update(driver.application, driver.user(FIRST_ID - 1).send(QUESTIONS[0]))
        app = driver.application
        wall, loaded = await _feed(driver.emulator, app, users, messages, concurrency)
        # The answer's own time: one question at a time, nothing else in flight.
        _, alone = await _feed(driver.emulator, app, 20, messages, 1)
        return wall, loaded, alone
    finally:
        await driver.stop()


def _round(database_url: str, args: argparse.Namespace) -> dict[str, float]:
    total = args.users * args.messages
    bare_wall, _ = asyncio.run(_bare(args.users, args.messages, args.concurrency))
    bot_wall, latencies, alone = asyncio.run(
        _bot(database_url, args.users, args.messages, args.concurrency)
    )
    return {
        "bare": total / bare_wall,
        "bot": total / bot_wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": _percentile(latencies, 0.99) * 1000,
        "alone_p50": statistics.median(alone) * 1000,
        "alone_p99": _percentile(alone, 0.99) * 1000,
    }


def main() -> int:
    """Run the rounds and print each and the median."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    total = args.users * args.messages
    print(f"{total} questions from {args.users} users, {args.concurrency} at a time")
    rounds = []
    for number in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory() as folder:
            figures = _round(f"sqlite:///{folder}/peer.db", args)
        rounds.append(figures)
        print(
            f"round {number}: bare echo {figures['bare']:.0f} updates/s, "
            f"bot {figures['bot']:.0f} updates/s, ratio {figures['bot'] / figures['bare']:.2f}, "
            f"bot answer with {args.concurrency} in flight p50 {figures['p50']:.1f} ms, "
            f"p99 {figures['p99']:.1f} ms; one at a time p50 {figures['alone_p50']:.1f} ms, "
            f"p99 {figures['alone_p99']:.1f} ms"
        )
    ratio = statistics.median(f["bot"] / f["bare"] for f in rounds)
    print(
        f"median: bare {statistics.median(f['bare'] for f in rounds):.0f} updates/s, "
        f"bot {statistics.median(f['bot'] for f in rounds):.0f} updates/s, "
        f"ratio {ratio:.2f} (target >= 0.30), "
        f"one at a time p50 {statistics.median(f['alone_p50'] for f in rounds):.1f} ms, "
        f"p99 {statistics.median(f['alone_p99'] for f in rounds):.1f} ms (target <= 10 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
