"""The one way to register a job that repeats on every worker (ticks, sweeps, refreshes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

__all__ = ["SWEEP", "run_every"]

# How often every worker claims overdue work (exam deadlines, pushes, campaign transitions) that
# its own timers did not do: the worker that set the timer died, or the database was down.
SWEEP = timedelta(seconds=10)


def run_every(
    app: Any, callback: Callable[[Any], Awaitable[None]], interval: timedelta, *, name: str
) -> None:
    """Run callback every interval, first after one interval; a restart replaces the job.

    A late tick (a busy loop) just runs late: no "missed" warning, and missed ticks do not pile up.
    """
    app.job_queue.run_repeating(
        callback,
        interval=interval,
        first=interval,
        name=name,
        job_kwargs={
            "id": name,
            "replace_existing": True,
            "misfire_grace_time": None,
            "coalesce": True,
        },
    )
