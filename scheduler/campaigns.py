"""你点我检 automatic opening and closing: PTB jobs made from the campaign rows.

Jobs live in memory, so every start re-creates them (the feature's start-up work) after
applying what was missed while the bot was down. A transition is claimed in the database:
a job, a restart and an admin never open or close a campaign twice.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import TelegramError

from bot.campaigns import services as svc
from bot.campaigns import votes
from bot.db import session_scope
from bot.kit import Context
from scheduler.jobs import SWEEP, run_every

__all__ = [
    "apply_transitions",
    "resume_campaigns",
    "schedule_transitions",
    "stop_polls",
    "transition_job",
]

logger = logging.getLogger(__name__)
PREFIX = "campaign:"
REFRESH = SWEEP


async def stop_polls(app: Any, campaign_ids: list[int]) -> None:
    """Close the native polls of campaigns that just closed (their answers no longer count)."""
    with session_scope(app.bot_data.engine) as session:
        polls = [p for cid in campaign_ids for p in votes.campaign_polls(session, cid)]
    for poll in polls:
        try:
            await app.bot.stop_poll(poll.chat_id, poll.message_id)
        except TelegramError as exc:  # already stopped, deleted, or the bot left the group
            logger.info(
                "Poll %s of campaign %s not stopped: %s", poll.poll_id, poll.campaign_id, exc
            )


def schedule_transitions(app: Any) -> int:
    """Make the jobs match the rows: one per automatic open/close still ahead; returns how many."""
    queue = app.job_queue
    if queue is None:
        return 0
    current = app.bot_data.clock()
    with session_scope(app.bot_data.engine) as session:
        plan = svc.scheduled_transitions(session)
    wanted = {f"{PREFIX}{cid}:{kind}": when for cid, kind, when in plan if when > current}
    for job in queue.jobs():
        if str(job.name).startswith(PREFIX) and job.name not in wanted:
            job.schedule_removal()  # opened or closed by hand, deleted, or already done
    for name, when in wanted.items():
        queue.run_once(
            transition_job,
            when=when,
            name=name,
            job_kwargs={"id": name, "replace_existing": True, "misfire_grace_time": None},
        )
    return len(wanted)


async def apply_transitions(app: Any) -> svc.Due:
    """Open and close whatever is due, including transitions missed while the bot was down."""
    with session_scope(app.bot_data.engine) as session:
        due = svc.apply_due(session, now=app.bot_data.clock())
    if due.closed:
        await stop_polls(app, due.closed)
    if due.opened or due.closed:
        logger.info("Campaigns opened %s, closed %s", due.opened, due.closed)
    return due


async def transition_job(context: Context) -> None:
    """A campaign's start or end time has come."""
    await apply_transitions(context.application)
    schedule_transitions(context.application)


async def _refresh_job(context: Context) -> None:
    # A sweep as well as a refresh: a transition whose job was on a worker that died (or fell
    # in an outage) is claimed here by whichever worker comes first.
    await apply_transitions(context.application)
    schedule_transitions(context.application)


async def resume_campaigns(app: Any) -> None:
    """Start-up hook: apply missed transitions, then re-register the jobs from the rows.

    The web console opens and closes campaigns in another process; a refresh every REFRESH
    makes the jobs follow (an end time set there is kept to within REFRESH), and applies any
    transition another worker's job should have made.
    """
    await apply_transitions(app)
    schedule_transitions(app)
    if app.job_queue is not None:
        run_every(app, _refresh_job, REFRESH, name="campaigns:refresh")
