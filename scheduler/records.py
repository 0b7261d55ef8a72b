"""日管控 reminders: a tick every minute claims what is due and hands it to the broadcast engine.

What was sent is kept in rec_reminder rows, so a restart neither repeats a reminder nor skips
one (a reminder due while the bot was down goes out at the next tick; quiet hours hold it).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from bot.broadcasts.services import add_recipients, create_broadcast, find_broadcast
from bot.db import session_scope
from bot.kit import Context
from bot.models import utcnow
from bot.records.assignments import assigned_inspectors, digest, digest_week
from bot.records.reminders import Batch, claim_due, mark_queued, pending_batches
from bot.render import render
from scheduler.broadcasts import launch
from scheduler.jobs import run_every

__all__ = ["TICK", "setup_jobs", "tick"]

logger = logging.getLogger(__name__)

TICK = timedelta(seconds=60)


def _text(batch: Batch) -> str:
    return render(f"rec_remind_{batch.kind}", day=batch.day, e=batch.enterprise)


async def tick(app: Any, *, now: datetime | None = None) -> list[int]:
    """Claim due reminders and queue them as paced broadcasts; the broadcasts launched."""
    now = now or utcnow()
    launched: list[int] = []
    with session_scope(app.bot_data.engine) as session:
        claim_due(session, now=now, tz=app.bot_data.settings.tz)
        for batch in pending_batches(session):
            broadcast = create_broadcast(
                session,
                kind="records",
                text=_text(batch),
                key=batch.key,
                respect_quiet_hours=True,
            )
            assert broadcast.id is not None
            add_recipients(session, broadcast.id, batch.recipients)
            mark_queued(session, batch, broadcast.id)
            launched.append(broadcast.id)
        launched += _queue_digests(app, session, now)
    for broadcast_id in launched:
        launch(app, broadcast_id)
    if launched:
        logger.info("Records reminders: %s broadcasts queued", len(launched))
    return launched


DIGEST_AT = time(8, 30)  # Monday, local time


def _queue_digests(app: Any, session: Any, now: datetime) -> list[int]:
    """Monday from 08:30: each inspector's 包保 digest, once per week (keyed broadcasts)."""
    tz = app.bot_data.settings.tz
    local = now.astimezone(tz)
    if local.weekday() != 0 or local.time() < DIGEST_AT:
        return []
    monday = digest_week(now, tz)
    queued = []
    for inspector in assigned_inspectors(session):
        key = f"rec:digest:{monday}:{inspector}"
        if find_broadcast(session, key) is not None:
            continue
        rows = digest(session, inspector, now=now, tz=tz)
        text = render("rec_digest", rows=rows, monday=monday, sunday=monday + timedelta(days=6))
        broadcast = create_broadcast(
            session, kind="records", text=text, key=key, recipients=[inspector],
            respect_quiet_hours=True,
        )  # fmt: skip
        assert broadcast.id is not None
        queued.append(broadcast.id)
    return queued


async def _tick(context: Context) -> None:
    await tick(context.application)


async def setup_jobs(app: Any) -> None:
    """Start-up hook: send what fell due while stopped, then tick every minute."""
    await tick(app)
    run_every(app, _tick, TICK, name="records:tick")
