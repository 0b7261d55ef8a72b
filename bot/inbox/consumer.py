"""Claim stored updates and run them through the Application, one lane in order.

Each worker runs one Consumer: it claims as many rows as it has free slots, runs each as a
task through Application.process_update, then marks it done, to be retried or failed. Its
claims are extended while it lives (heartbeat); claims of a worker that died expire and any
worker takes them over. Database calls run on a small thread pool of their own so neither
the event loop nor the handlers' own threads wait on the inbox's bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.inbox import store
from bot.inbox.late import LateNotices
from bot.inbox.retry import MAX_ATTEMPTS, Outcome, backoff, current
from bot.kit import App
from bot.lease import holder_is_dead

__all__ = ["CLAIM_TTL", "Consumer"]

logger = logging.getLogger(__name__)

CLAIM_TTL = timedelta(seconds=30)
HEARTBEAT = 5.0  # seconds; well inside CLAIM_TTL, so a live worker never loses a claim
IDLE_POLL = 0.5  # seconds between looks at the table when nothing woke us (other workers)
SLOTS = 32  # updates in flight per worker (PTB ran 64; most wait on the flood limiter)
DB_RETRY_MAX = 5.0

R = TypeVar("R")


class Consumer:
    """The worker's side of the inbox: claim, process, settle."""

    def __init__(self, app: App, holder: str, notices: LateNotices, *, slots: int = SLOTS) -> None:
        self._app = app
        self._engine = app.bot_data.engine
        self._clock = app.bot_data.clock
        self._holder = holder
        self._notices = notices
        self._slots = slots
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inbox")
        # Reply marks never queue behind bookkeeping: every millisecond is a duplicate risk.
        self._marks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inbox-replied")

    async def db(self, work: Callable[[], R]) -> R:
        """Run one inbox transaction off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def wake(self) -> None:
        """New rows were stored (or a lane was freed): look at the table now."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and process until stop(); then wait for the updates in flight."""
        beat = asyncio.create_task(self._heartbeat(), name="inbox-heartbeat")
        failures = 0
        try:
            while not self._stopping:
                try:
                    claimed = await self._claim()
                    failures = 0
                except SQLAlchemyError as exc:
                    failures += 1
                    logger.warning("Inbox claim failed (%s); retrying", type(exc).__name__)
                    await self._sleep(min(0.5 * 2**failures, DB_RETRY_MAX))
                    continue
                for row in claimed:
                    task = asyncio.create_task(self._process(row), name=f"update-{row.update_id}")
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                if not claimed or len(self._tasks) >= self._slots:
                    await self._sleep(IDLE_POLL)
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            self._pool.shutdown(wait=False)
            self._marks.shutdown(wait=False)

    def stop(self) -> None:
        """Claim nothing more; run() returns once the updates in flight are settled."""
        self._stopping = True
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _claim(self) -> list[store.Claimed]:
        free = self._slots - len(self._tasks)
        if free <= 0:
            return []
        now = self._clock()
        # A read first: an idle worker takes no write lock (SQLite has only one).
        if not await self.db(partial(store.ready, self._engine, now=now)):
            return []
        return await self.db(
            partial(store.claim, self._engine, self._holder, now=now, ttl=CLAIM_TTL, limit=free)
        )

    async def _heartbeat(self) -> None:
        while True:
            try:
                await self.db(
                    partial(
                        store.heartbeat,
                        self._engine,
                        self._holder,
                        now=self._clock(),
                        ttl=CLAIM_TTL,
                    )
                )
                released = await self.db(partial(store.release_dead, self._engine, holder_is_dead))
                if released:
                    logger.info("Took over %s updates of a worker that is gone", released)
                    self.wake()
            except SQLAlchemyError as exc:
                logger.warning("Inbox heartbeat failed (%s)", type(exc).__name__)
            await asyncio.sleep(HEARTBEAT)

    async def _process(self, row: store.Claimed) -> None:
        if row.replied:
            # Its worker died after answering: running it again would answer twice.
            logger.warning("Update %s was answered before its worker stopped", row.update_id)
            await self._persist(
                partial(store.finish, self._engine, row.id, self._holder, now=self._clock())
            )
            self.wake()
            return
        if row.uncertain:
            # Its worker died while the answer was in flight: it may have arrived or not.
            # Running it again risks a second copy, not running it risks none at all.
            logger.warning(
                "Update %s: its reply was in flight when its worker stopped; running it again",
                row.update_id,
            )
            await self._persist(partial(store.note_uncertain, self._engine, row.id))
        outcome = Outcome(final=row.attempts >= MAX_ATTEMPTS)
        outcome.on_reply = partial(self._journal, row)
        token = current.set(outcome)
        try:
            update = Update.de_json(row.payload, self._app.bot)
            await self._app.process_update(update)
        except Exception as exc:  # the update itself is unreadable: nothing to retry
            logger.exception("Update %s could not be processed", row.update_id)
            outcome.failed = type(exc).__name__
        finally:
            current.reset(token)
        await self._settle(row, outcome)
        self.wake()  # the next row of this lane may be claimed now

    async def _journal(self, row: store.Claimed, sent: bool | None) -> None:
        # Written right before and after the first send: a takeover then knows whether the
        # answer went out (not run again), was in flight (uncertain) or never started.
        work = partial(
            store.mark_reply, self._engine, row.id, self._holder, now=self._clock(), sent=sent
        )
        try:
            await asyncio.get_running_loop().run_in_executor(self._marks, work)
        except SQLAlchemyError as exc:
            logger.warning(
                "Could not journal the reply to %s (%s)", row.update_id, type(exc).__name__
            )

    async def _settle(self, row: store.Claimed, outcome: Outcome) -> None:
        engine, holder = self._engine, self._holder
        now = self._clock()
        if outcome.retry is not None:
            delay = backoff(row.attempts)
            logger.info(
                "Update %s: %s, attempt %s, retry in %.0f s",
                row.update_id,
                outcome.retry,
                row.attempts,
                delay.total_seconds(),
            )
            if not row.notified and await self._notices.maybe_tell(
                row.update_id, row.chat_id, since=row.received_at, now=now + delay
            ):
                await self._persist(partial(store.mark_notified, engine, row.id, now=now))
            work: Callable[[], object] = partial(
                store.retry, engine, row.id, holder, now=now, delay=delay, error=outcome.retry
            )
        elif outcome.failed is not None:
            logger.error("Update %s failed: %s", row.update_id, outcome.failed)
            work = partial(store.fail, engine, row.id, holder, now=now, error=outcome.failed)
        else:
            work = partial(store.finish, engine, row.id, holder, now=now)
        await self._persist(work)

    async def _persist(self, work: Callable[[], object]) -> None:
        # The row must not be run again for nothing: keep trying while the database is away.
        delay = 0.2
        while True:
            try:
                await self.db(work)
                return
            except SQLAlchemyError as exc:
                if self._stopping and delay >= DB_RETRY_MAX:
                    logger.warning("Inbox row left claimed at stop (%s)", type(exc).__name__)
                    return
                logger.warning("Inbox bookkeeping failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, DB_RETRY_MAX)
