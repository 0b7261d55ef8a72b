"""Updates per second the Application handles through the in-process sandbox.

    python bench/throughput.py [--users 200] [--rounds 5]

Each simulated user sends /start, presses a business-type button, opens /menu and asks a
question, `rounds` times; users run concurrently (like a busy morning). Prints updates/s,
p50/p99 latency per update (from the user's action until every handler for it finished),
the start-up time of `python -m bot chat` to its first answer, and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.config import Settings  # noqa: E402
from bot.sandbox.driver import Driver  # noqa: E402
from bot.sandbox.limits import Limits  # noqa: E402

QUESTIONS = ["健康证多久办一回", "卖过期的东西罚多少", "外卖要贴那个封条吗", "进货要留什么记录"]


async def one_user(driver: Driver, uid: int, rounds: int, latencies: list[float]) -> int:
    done = 0
    for r in range(rounds):
        t0 = time.perf_counter()
        [welcome] = await driver.send(uid, "/start")
        latencies.append(time.perf_counter() - t0)
        if welcome.buttons and welcome.buttons[0][0] == "餐饮服务":
            t0 = time.perf_counter()
            await driver.press(uid, welcome, "餐饮服务")
            latencies.append(time.perf_counter() - t0)
            done += 1
        for text in ("/menu", QUESTIONS[(uid + r) % len(QUESTIONS)]):
            t0 = time.perf_counter()
            await driver.send(uid, text)
            latencies.append(time.perf_counter() - t0)
        done += 3
    return done


async def run(users: int, rounds: int, db_url: str) -> None:
    # Telegram's global limit (~30 messages/s) would cap replies and measure Telegram, not the
    # bot: for this run the bot's own limiter and the emulator's limits are lifted.
    settings = Settings(_env_file=None, database_url=db_url, telegram_flood_limit=100_000)  # type: ignore[call-arg]
    driver = Driver(settings, limits=Limits(enabled=False))
    await driver.start()
    latencies: list[float] = []
    started = time.perf_counter()
    counts = await asyncio.gather(
        *(one_user(driver, 100_000 + u, rounds, latencies) for u in range(users))
    )
    elapsed = time.perf_counter() - started
    await driver.stop()
    latencies.sort()
    total = sum(counts)
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"updates: {total} from {users} concurrent users in {elapsed:.2f} s "
        f"-> {total / elapsed:.0f} updates/s"
    )
    print(
        f"latency per update: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )


def chat_startup(tmp: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM")}
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'startup.db'}"
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "我是食安助手" in line:  # the greeting: the first answer of the bot
            break
    elapsed = time.perf_counter() - t0
    process.communicate("/quit\n", timeout=60)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        asyncio.run(run(args.users, args.rounds, f"sqlite:///{tmp / 'bench.db'}"))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process (bot + emulator + {args.users} users): {rss:.0f} MB")
        print(f"`python -m bot chat` start-up to first answer: {chat_startup(tmp):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
