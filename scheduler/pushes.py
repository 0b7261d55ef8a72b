"""Tip pushes on PTB's JobQueue: re-created from ScheduledPush rows at every start."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from bot.broadcasts.services import create_broadcast
from bot.db import session_scope
from bot.kit import Context
from bot.models import ScheduledPush, as_utc
from scheduler.broadcasts import launch, resume_all
from scheduler.calendar import Occasion
from scheduler.jobs import SWEEP, run_every
from scheduler.tips_schedule import (
    calendar_rows,
    claim_push,
    decide_missed,
    ensure_schedule,
    planned_pushes,
    tip_key,
    tip_text,
)

__all__ = ["render_tip", "schedule_pushes", "send_push", "setup_jobs", "sweep_pushes"]

logger = logging.getLogger(__name__)


def render_tip(app: Any, occasion: Occasion) -> str | None:
    """The tip message for an occasion (None when there is no tip for it)."""
    return tip_text(app.bot_data.tips, occasion)


def _occasion_of(session: Any, push: ScheduledPush) -> Occasion | None:
    for occasion in calendar_rows(session, push.year):
        if occasion.key == push.occasion:
            return occasion
    return None


async def send_push(app: Any, push_id: int) -> int | None:
    """Queue and launch one occasion's tip to the tips subscribers, exactly once."""
    with session_scope(app.bot_data.engine) as session:
        push = session.get(ScheduledPush, push_id)
        if push is None or push.status != "planned":
            return None
        occasion = _occasion_of(session, push)
        text = render_tip(app, occasion) if occasion else None
        if text is None:
            claim_push(session, push_id, status="dropped", note="没有这个节日的提示")
            return None
        # The broadcast key makes this idempotent: a crash after it and before the claim
        # finds the same broadcast again at the next start.
        broadcast = create_broadcast(
            session,
            kind="tip",
            topic="tips",
            text=text,
            key=tip_key(push.occasion, push.year),
            respect_quiet_hours=True,
        )
        assert broadcast.id is not None
        if claim_push(session, push_id, status="sent"):
            push.broadcast_id = broadcast.id
            session.add(push)
            session.commit()
    launch(app, broadcast.id)
    return broadcast.id


async def _push_job(context: Context) -> None:
    assert context.job is not None
    await send_push(context.application, int(str(context.job.data)))


async def schedule_pushes(app: Any, *, now: datetime | None = None) -> None:
    """Extend the schedule, send what was missed while down (or drop it), register the rest."""
    settings = app.bot_data.settings
    now = now or app.bot_data.clock()
    year = now.astimezone(settings.tz).year
    with session_scope(app.bot_data.engine) as session:
        ensure_schedule(
            session, settings, [year, year + 1], today=now.astimezone(settings.tz).date()
        )
        pushes = planned_pushes(session)
    for push in pushes:
        assert push.id is not None
        decision = decide_missed(push, now=now, tz=settings.tz)
        if decision.action == "wait":
            name = f"push:{push.id}"
            # At the stored time, not now + delay: `now` may be injected (tests, a late start).
            app.job_queue.run_once(
                _push_job,
                when=as_utc(push.push_at),
                data=push.id,
                name=name,
                job_kwargs={"id": name, "replace_existing": True, "misfire_grace_time": None},
            )
        else:
            await _settle_missed(app, push, decision.action)


async def _settle_missed(app: Any, push: ScheduledPush, action: str) -> None:
    """A push whose time passed without being sent: send it now, or drop it if too late."""
    assert push.id is not None
    if action == "send":
        logger.info(
            "Push %s (%s %s) was due and not sent: sending now", push.id, push.occasion, push.year
        )
        await send_push(app, push.id)
        return
    with session_scope(app.bot_data.engine) as session:
        dropped = claim_push(session, push.id, status="dropped", note="停机期间错过，节日已开始")
    if dropped:
        logger.warning(
            "Push %s (%s %s) missed and the occasion began: dropped",
            push.id,
            push.occasion,
            push.year,
        )


async def sweep_pushes(app: Any) -> None:
    """Every worker: settle planned pushes whose time passed (their timer was lost)."""
    now = app.bot_data.clock()
    with session_scope(app.bot_data.engine) as session:
        due = planned_pushes(session, due_by=now)
    for push in due:
        decision = decide_missed(push, now=now, tz=app.bot_data.settings.tz)
        if decision.action != "wait":
            await _settle_missed(app, push, decision.action)


async def _sweep(context: Context) -> None:
    await sweep_pushes(context.application)


async def _daily(context: Context) -> None:
    await schedule_pushes(context.application)


async def _resume(context: Context) -> None:
    await resume_all(context.application)


async def setup_jobs(app: Any) -> None:
    """Start-up hook: resume broadcasts, schedule pushes, and keep both fresh."""
    await resume_all(app)
    await schedule_pushes(app)
    app.job_queue.run_daily(
        _daily,
        time=time(0, 5),
        name="tips:daily",
        job_kwargs={"id": "tips:daily", "replace_existing": True},
    )
    # Broadcasts queued elsewhere, or whose worker died (its lease expires), resume within 20 s.
    run_every(app, _resume, timedelta(seconds=20), name="broadcasts:resume")
    run_every(app, _sweep, SWEEP, name="tips:sweep")
