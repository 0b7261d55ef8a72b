"""One poller per bot: the long-polling process holds a lease row and renews it while running.

A second `run` in polling mode against the same database finds the lease held and refuses to
start (bot/runner.py); a lease not renewed for LEASE_TTL (the process died) is taken over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot.kit import App, Context
from bot.lease import POLLING, renew

__all__ = ["LEASE_TTL", "hold_polling_lease"]

logger = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=60)
RENEW_EVERY = timedelta(seconds=15)


async def _renew(context: Context) -> None:
    assert context.job is not None
    holder: str
    on_lost: Callable[[], None]
    holder, on_lost = context.job.data  # type: ignore[misc]
    data = context.bot_data
    if not renew(data.engine, POLLING, holder, now=context.now(), ttl=LEASE_TTL):
        # We were stalled past the lease and another process took over: it polls now.
        logger.error("Long polling lease lost to another process; stopping")
        on_lost()


def hold_polling_lease(app: App, holder: str, on_lost: Callable[[], None]) -> None:
    """Renew the (already acquired) polling lease while the application runs."""
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        _renew,
        interval=RENEW_EVERY,
        first=RENEW_EVERY,
        data=(holder, on_lost),
        name="polling-lease",
    )
