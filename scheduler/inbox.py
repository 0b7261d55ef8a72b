"""Inbox retention: done rows are deleted after a day (failed ones after a week)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import partial

from bot.inbox.store import purge
from bot.kit import App, Context
from scheduler.jobs import run_every

__all__ = ["DONE_KEPT", "FAILED_KEPT", "purge_inbox", "schedule_purge"]

logger = logging.getLogger(__name__)

DONE_KEPT = timedelta(days=1)
FAILED_KEPT = timedelta(days=7)
EVERY = timedelta(hours=1)


async def purge_inbox(context: Context) -> None:
    """Delete the settled rows that are old enough."""
    work = partial(
        purge,
        context.bot_data.engine,
        now=context.now(),
        done_for=DONE_KEPT,
        failed_for=FAILED_KEPT,
    )
    removed = await asyncio.to_thread(work)
    if removed:
        logger.info("Inbox: %s old rows purged", removed)


def schedule_purge(app: App) -> None:
    """Purge every hour on every worker (a delete of nothing costs little)."""
    run_every(app, purge_inbox, EVERY, name="inbox-purge")
