"""The broadcast engine: paced, resumable sending in the background, never inside a handler.

Pacing: one message every 1/rate seconds overall (default 25/s, below Telegram's ~30/s); each
chat gets one message per broadcast, so the 1/s per-chat limit holds by construction. Requests
carry NO_RETRY, so a 429 comes back to this loop: the loop pauses itself for retry_after and
retries that message, while replies to people chatting are not held up by the rate limiter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.broadcasts import services as svc
from bot.broadcasts.quiet import in_quiet_hours
from bot.db import session_scope
from bot.kit import is_not_modified, is_uncertain
from bot.models import Broadcast
from bot.ratelimit import NO_RETRY
from bot.render import label, render
from bot.users import mark_blocked

__all__ = ["Pacer", "in_quiet_hours", "launch", "resume_all", "run_broadcast"]

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=20)  # renewed every batch; a dead worker frees it within 20 s
PROGRESS_EVERY = 3.0
MAX_ATTEMPTS = 4  # network errors and 5xx, with exponential backoff
MAX_RATE_LIMITS = 10  # 429s for one message before it is given up
MAX_IN_FLIGHT = 16
BACKOFF = 0.5  # seconds; doubled at each retry of a 5xx or timeout, at most 8 s
QUIET_CHECK = 1.0  # seconds between checks while quiet hours hold a broadcast


class Pacer:
    """Hands out send slots at a fixed rate; a 429 pushes every later slot back."""

    def __init__(self, rate: float, clock: Any = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = clock()

    async def wait(self) -> None:
        """Sleep until the next slot is due."""
        now = self.clock()
        slot = max(self._next, now)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """No slot before now + seconds (Telegram asked us to wait)."""
        self._next = max(self._next, self.clock() + seconds)


@dataclass
class _Run:
    broadcast: Broadcast
    pacer: Pacer
    started: float = field(default_factory=time.monotonic)
    sent_here: int = 0
    last_progress: float = 0.0


def _pacer(app: Any) -> Pacer:
    """One pacer per application: broadcasts sent side by side share the overall rate."""
    pacer: Pacer | None = app.bot_data.extras.get("broadcast_pacer")
    if pacer is None:
        pacer = Pacer(app.bot_data.settings.broadcast_rate)
        app.bot_data.extras["broadcast_pacer"] = pacer
    return pacer


def _retry_seconds(exc: RetryAfter) -> float:
    value: Any = exc.retry_after
    return float(value.total_seconds() if isinstance(value, timedelta) else value)


async def _send(app: Any, broadcast: Broadcast, chat_id: int) -> Message:
    message: Message
    if broadcast.document_file_id:
        message = await app.bot.send_document(
            chat_id,
            broadcast.document_file_id,
            caption=broadcast.text[:1024] or None,
            filename=broadcast.document_name,
            rate_limit_args=NO_RETRY,
        )
    else:
        message = await app.bot.send_message(chat_id, broadcast.text, rate_limit_args=NO_RETRY)
    return message


async def _deliver(app: Any, run: _Run, delivery_id: int, chat_id: int) -> None:
    """Send one delivery with the retry rules; settle its row whatever happens."""
    engine = app.bot_data.engine
    attempts = rate_limited = 0
    while True:
        try:
            message = await _send(app, run.broadcast, chat_id)
        except RetryAfter as exc:
            rate_limited += 1
            wait = _retry_seconds(exc)
            run.pacer.pause(wait)
            if rate_limited >= MAX_RATE_LIMITS:
                status, error = "failed", f"429 重试 {rate_limited} 次仍被限流"
                break
            await asyncio.sleep(wait)
            continue
        except Forbidden as exc:
            with session_scope(engine) as session:
                mark_blocked(session, user_id=chat_id)
            status, error = "blocked", exc.message
            break
        except BadRequest as exc:
            status, error = "failed", exc.message
            break
        except (NetworkError, TelegramError) as exc:  # timeouts, 5xx
            if is_uncertain(exc):
                # Timed out after the request was written: maybe delivered. Never re-sent by
                # itself (a second copy is worse than a gap); staff may, from the report.
                status, error = "uncertain", "发送超时，Telegram 可能已送达，未自动重发"
                break
            attempts += 1
            if attempts >= MAX_ATTEMPTS:
                status, error = "failed", f"重试 {attempts} 次失败：{exc}"
                break
            await asyncio.sleep(min(BACKOFF * 2**attempts, 8.0))
            continue
        except Exception as exc:  # a bug or the database, not Telegram: record it, go on
            logger.exception("Broadcast %s to %s failed", run.broadcast.id, chat_id)
            status, error = "failed", f"内部错误：{exc!r}"
            break
        with session_scope(engine) as session:
            svc.settle_delivery(session, delivery_id, status="sent", message_id=message.message_id)
        run.sent_here += 1
        return
    with session_scope(engine) as session:
        svc.settle_delivery(session, delivery_id, status=status, error=error[:500])


def _resend_button(broadcast_id: int, count: int) -> InlineKeyboardMarkup:
    """Staff may choose to send the uncertain ones again (some may then get it twice)."""
    text = label("resend_uncertain", count=count)
    button = InlineKeyboardButton(text, callback_data=f"bc:resend:{broadcast_id}")
    return InlineKeyboardMarkup([[button]])


async def _report(app: Any, run: _Run, *, final: bool) -> None:
    """Edit the admin's progress message (at most every PROGRESS_EVERY seconds)."""
    broadcast = run.broadcast
    now = time.monotonic()
    if broadcast.progress_chat_id is None or (
        not final and now - run.last_progress < PROGRESS_EVERY
    ):
        return
    run.last_progress = now
    assert broadcast.id is not None
    with session_scope(app.bot_data.engine) as session:
        figures = svc.progress(session, broadcast.id)
        status = session.get(Broadcast, broadcast.id, populate_existing=True)
        uncertain = svc.uncertain_recipients(session, broadcast.id) if final else []
    elapsed = max(now - run.started, 1e-6)
    rate = run.sent_here / elapsed
    settings, clock = app.bot_data.settings, app.bot_data.clock()
    held = in_quiet_hours(settings, clock) if broadcast.respect_quiet_hours else None
    text = render(
        "broadcast_progress",
        b=broadcast,
        p=figures,
        final=final,
        held_until=(clock + held).astimezone(settings.tz) if held and not final else None,
        status=status.status if status else "cancelled",
        rate=rate,
        eta=int(figures.remaining / rate) if rate > 0 else None,
        uncertain=uncertain,
    )
    markup = _resend_button(broadcast.id, figures.uncertain) if uncertain else None
    try:
        if broadcast.progress_message_id:
            await app.bot.edit_message_text(
                text,
                chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
                reply_markup=markup,
            )
        else:
            message = await app.bot.send_message(
                broadcast.progress_chat_id, text, reply_markup=markup
            )
            broadcast.progress_message_id = message.message_id
            with session_scope(app.bot_data.engine) as session:
                svc.set_progress_message(session, broadcast.id, message.message_id)
    except BadRequest as exc:
        if not is_not_modified(exc):
            logger.warning("Progress message for broadcast %s: %s", broadcast.id, exc.message)
    except TelegramError as exc:
        logger.warning("Progress message for broadcast %s: %s", broadcast.id, exc)


async def _wait_for_quiet_end(app: Any, run: _Run) -> bool:
    """Broadcasts wait for the end of quiet hours unless staff chose to send at night.

    False when the app is stopping.
    """
    settings = app.bot_data.settings
    while run.broadcast.respect_quiet_hours and (
        left := in_quiet_hours(settings, app.bot_data.clock())
    ):
        if not app.running:
            return False
        # Short naps: a shutdown or a cancel must not wait for the night to end.
        await asyncio.sleep(min(left.total_seconds(), QUIET_CHECK))
        with session_scope(app.bot_data.engine) as session:
            assert run.broadcast.id is not None
            if (
                svc.renew_lease(session, run.broadcast.id, now=app.bot_data.clock(), lease=LEASE)
                != "running"
            ):
                return True  # cancelled: the main loop finishes it
    return True


async def run_broadcast(app: Any, broadcast_id: int) -> None:
    """Send one broadcast to the end (or until cancelled or the app stops)."""
    engine = app.bot_data.engine
    with session_scope(engine) as session:
        broadcast = svc.claim_broadcast(
            session, broadcast_id, now=app.bot_data.clock(), lease=LEASE
        )
        if broadcast is None:
            return
        recovered = svc.recover_inflight(session, broadcast_id)
        svc.add_subscribers(session, broadcast)
    if recovered:
        logger.warning(
            "Broadcast %s: %s in-flight deliveries marked uncertain", broadcast_id, recovered
        )
    run = _Run(broadcast, _pacer(app))
    in_flight: set[asyncio.Task[None]] = set()
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)
    status = "running"
    await _report(app, run, final=False)
    while app.running and await _wait_for_quiet_end(app, run):
        with session_scope(engine) as session:
            status = svc.renew_lease(session, broadcast_id, now=app.bot_data.clock(), lease=LEASE)
            size = max(1, int(app.bot_data.settings.broadcast_rate))
            batch = [] if status != "running" else svc.next_deliveries(session, broadcast_id, size)
            if not batch and status == "running":
                svc.add_subscribers(session, broadcast)  # someone subscribed meanwhile
                batch = svc.next_deliveries(session, broadcast_id, 1)
        if not batch:
            break
        for delivery in batch:
            if not app.running:
                break  # the rest stay pending for the next start
            await run.pacer.wait()
            await limit.acquire()
            assert delivery.id is not None
            with session_scope(engine) as session:
                # Claimed one at a time, right before its request: a crash can leave only the
                # requests really in flight as 'sending' (-> 'uncertain' on resume).
                if not svc.claim_delivery(session, delivery.id):
                    limit.release()
                    continue
            task = asyncio.create_task(_deliver(app, run, delivery.id, delivery.chat_id))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            task.add_done_callback(lambda _: limit.release())
        await _report(app, run, final=False)
    if in_flight:
        await asyncio.gather(*in_flight, return_exceptions=True)
    if app.running or status != "running":
        with session_scope(engine) as session:
            if status == "running":
                svc.finish_broadcast(session, broadcast_id)
            else:
                svc.finish_broadcast(session, broadcast_id, status=status)
        await _report(app, run, final=True)
    else:
        with session_scope(engine) as session:
            svc.release_lease(session, broadcast_id)
        logger.info("Broadcast %s paused by shutdown; it resumes at the next start", broadcast_id)


def _tasks(app: Any) -> dict[int, asyncio.Task[None]]:
    tasks: dict[int, asyncio.Task[None]] = app.bot_data.extras.setdefault("broadcast_tasks", {})
    return tasks


async def _launch_job(context: Any) -> None:
    launch(context.application, int(context.job.data))


def launch(app: Any, broadcast_id: int) -> None:
    """Start sending in the background; a broadcast already being sent here is left alone."""
    if not app.running:
        # Called from post_init (resuming after a restart): start once the app runs. No
        # misfire grace: a start-up slower than APScheduler's 1 s default (a loaded machine)
        # skipped this job, and the broadcast waited for the next periodic resume.
        name = f"launch:{broadcast_id}"
        kwargs = {"id": name, "replace_existing": True, "misfire_grace_time": None}
        app.job_queue.run_once(_launch_job, when=0, data=broadcast_id, name=name,
                               job_kwargs=kwargs)  # fmt: skip
        return
    tasks = _tasks(app)
    current = tasks.get(broadcast_id)
    if current is not None and not current.done():
        return
    task = app.create_task(run_broadcast(app, broadcast_id), name=f"broadcast-{broadcast_id}")
    tasks[broadcast_id] = task
    app.bot_data.extras.setdefault("tasks", set()).add(task)


async def resume_all(app: Any) -> None:
    """Start-up hook and periodic job: send every broadcast that still has work and is due.

    A scheduled one stays queued (no lease, cancellable) until a run finds it due; this
    periodic job is what starts it, so a restart while it waits loses nothing.
    """
    with session_scope(app.bot_data.engine) as session:
        ids = svc.resumable_ids(session)
        rows = {i: session.get(Broadcast, i) for i in ids}
    now = app.bot_data.clock()
    for broadcast_id, row in rows.items():
        if row is not None and svc.lease_expired(row, now) and svc.is_due(row, now):
            launch(app, broadcast_id)
