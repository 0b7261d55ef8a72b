"""200 candidates take the supervised exam at once through the in-process sandbox.

    python bench/exams.py [--candidates 200] [--think 10] [--capacity-seconds 40]
                          [--paced-seconds 30]

Each answer is a real callback_query fed to the real Application (handlers, SQLite file in WAL
mode, the emulator validating every Bot API call): latency is from the press to the moment the
bot has answered the query and edited the question message.

Run 1 (capacity): all candidates press as fast as the bot answers, for --capacity-seconds;
Telegram's flood limits are off in the emulator and in the bot's rate limiter, so answers/s is
what the bot itself can process, and the latency is a press queued behind 199 others.
Run 2 (paced): Telegram's real limits; each candidate thinks 0.5-1.5 x --think seconds per
question (a tenth of that between 多选 ticks), for --paced-seconds: the latency a candidate
actually sees, counted from the moment they press, waiting for a busy bot included.
An "answer" is one button press on a question (a 多选 takes one per option plus 下一题).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import col, select  # noqa: E402
from telegram import Update  # noqa: E402

from bot import exam_issue  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import create_tables, make_engine, session_scope  # noqa: E402
from bot.exams.bank import Bank, load_exam_bank  # noqa: E402
from bot.exams.paper import default_paper  # noqa: E402
from bot.models import Attempt, AttemptItem, Exam, utcnow  # noqa: E402
from bot.sandbox.driver import Driver  # noqa: E402
from bot.sandbox.limits import Limits  # noqa: E402

INSPECTOR = 900002
FIRST_CANDIDATE = 20_000_000


@dataclass
class Figures:
    """What one run measured."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    service: list[float] = field(default_factory=list)
    refused: int = 0  # 429s the emulator answered while the candidates were answering

    def report(self) -> str:
        """One block of text for the terminal."""
        answers = len(self.latencies)
        return (
            f"{self.name}: {answers} answers in {self.seconds:.1f} s = "
            f"{answers / self.seconds:.0f} answers/s\n"
            f"  latency per answer (press to reply, waiting included) {_spread(self.latencies)}\n"
            f"  bot's own work per answer {_spread(self.service)}; 429s {self.refused}"
        )


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


def _issue_codes(engine: Engine, bank: Bank, count: int) -> list[str]:
    """Issue exams straight through the service (the inspector's chat is not what we time)."""
    codes = []
    with session_scope(engine) as session:
        for i in range(count):
            prefill = {"enterprise": f"压测企业{i}", "sector": "catering", "role": "director",
                       "candidate": f"考生{i}"}  # fmt: skip
            exam_issue.start_draft(session, inspector_id=INSPECTOR, prefill=prefill, now=utcnow())
            for step in ("credit_code", "township"):
                exam_issue.set_step(session, inspector_id=INSPECTOR, step=step, value=None,
                                    now=utcnow())  # fmt: skip
            exam = exam_issue.issue(session, inspector_id=INSPECTOR, bank=bank,
                                    paper=default_paper(), hours=24, rng=random.Random(i),
                                    now=utcnow())  # fmt: skip
            codes.append(exam.code)
    return codes


class Candidate:
    """One person on a phone: opens the link, starts, answers with the key (mostly right)."""

    def __init__(self, driver: Driver, user_id: int, code: str) -> None:
        self.driver = driver
        self.user = driver.user(user_id, f"考生{user_id}")
        self.user_id = user_id
        self.code = code
        self.rng = random.Random(user_id)
        self.key: dict[int, tuple[str, list[int]]] = {}

    async def _process(self, update: dict[str, Any]) -> None:
        app = self.driver.application
        await app.process_update(Update.de_json(update, app.bot))

    async def start(self, engine: Engine, bank: Bank) -> None:
        """Open the link and press 开始考试; remember the answer key of the drawn paper."""
        await self._process(self.user.send(f"/start exam_{self.code}"))
        await self._process(self.user.press(self.driver.last(self.user_id), (0, 0)))
        with session_scope(engine) as session:
            exam = session.exec(select(Exam).where(col(Exam.code) == self.code)).one()
            attempt = session.exec(select(Attempt).where(col(Attempt.exam_id) == exam.id)).one()
            items = session.exec(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))
            for item in items:
                q = bank.by_id[item.question_id]
                order = [int(p) for p in item.option_order.split(",")]
                self.key[item.position] = (q.type, sorted(order.index(i) for i in q.answer))

    def presses(self, position: int) -> Sequence[int | str]:
        """The buttons for one question: the option(s), and 下一题 after a 多选."""
        kind, key = self.key[position]
        if self.rng.random() < 0.15:  # some wrong answers, as in life
            key = [0] if 0 not in key else [1]
        if kind != "multiple":
            return list(key[:1])
        return [*key, "下一题 ➡️"] if position + 1 < len(self.key) else list(key)

    async def sit(self, figures: Figures, think: float, stop: float) -> None:
        """Answer until the paper is done or time is up. Latency counts from the press's due
        time (after a person's pause), so waiting behind other candidates is included; service
        time is the bot's own work on the update."""
        for position in range(len(self.key)):
            for n, button in enumerate(self.presses(position)):
                due = time.perf_counter()
                if think:  # reading the question, or ticking the next 多选 option
                    due += think * self.rng.uniform(0.5, 1.5) * (1 if n == 0 else 0.1)
                # Always yield: the in-process emulator never suspends, so without this one
                # candidate would finish the whole paper before the next one starts.
                await asyncio.sleep(max(0.0, min(due, stop) - time.perf_counter()))
                if time.perf_counter() >= stop:
                    return
                target = (0, button) if isinstance(button, int) else button
                began = time.perf_counter()
                await self._process(self.user.press(self.driver.last(self.user_id), target))
                ended = time.perf_counter()
                figures.latencies.append(ended - due)
                figures.service.append(ended - began)


async def _run(
    driver: Driver, engine: Engine, bank: Bank, count: int, *, think: float, seconds: float
) -> Figures:
    """count candidates start at once and answer until their paper is done or time is up."""
    codes = _issue_codes(engine, bank, count)
    first = FIRST_CANDIDATE + (100_000 if think else 0)  # new people for each run
    people = [Candidate(driver, first + i, code) for i, code in enumerate(codes)]
    await asyncio.gather(*(p.start(engine, bank) for p in people))
    name = f"paced (think ~{think:g} s), Telegram limits" if think else "capacity, limits off"
    figures = Figures(name)
    refused = driver.emulator.stats.rate_limited
    began = time.perf_counter()
    await asyncio.gather(*(p.sit(figures, think, began + seconds) for p in people))
    figures.seconds = time.perf_counter() - began
    figures.refused = driver.emulator.stats.rate_limited - refused
    return figures


async def main(
    candidates: int, think: float, capacity_seconds: float, paced_seconds: float
) -> None:
    """Both runs on one SQLite file, as the bot runs by default."""
    began = time.perf_counter()
    logging.basicConfig(level=logging.ERROR)  # a saturated loop makes APScheduler complain
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(_env_file=None, database_url=url, inspector_user_ids=[INSPECTOR])
        engine = make_engine(url)
        create_tables(engine)
        with session_scope(engine) as session:
            bank = load_exam_bank(session)
        limits = Limits(enabled=False)
        driver = Driver(settings, engine=engine, limits=limits)
        driver.emulator.queue_updates = False  # updates go straight to the app, not a queue
        await driver.start()
        try:
            # Run 1: lift the bot's own 30/s flood limiter too (bench only: a private field).
            limiter = driver.application.bot.rate_limiter
            saved = limiter._base_limiter
            limiter._base_limiter = None
            capacity = await _run(
                driver, engine, bank, candidates, think=0, seconds=capacity_seconds
            )
            print(capacity.report(), flush=True)
            limiter._base_limiter = saved
            limits.enabled = True
            paced = await _run(
                driver, engine, bank, candidates, think=think, seconds=paced_seconds
            )
            print(paced.report(), flush=True)
            total = driver.emulator.stats.rate_limited
            took = time.perf_counter() - began
            print(f"429s in all (set-up included): {total}; bench {took:.0f} s")
        finally:
            await driver.stop()
            engine.dispose()
        driver.emulator.assert_clean()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--think", type=float, default=10.0, help="mean seconds between answers")
    parser.add_argument("--capacity-seconds", type=float, default=40.0)
    parser.add_argument("--paced-seconds", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(main(args.candidates, args.think, args.capacity_seconds, args.paced_seconds))
