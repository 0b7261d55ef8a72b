"""Quiet hours (QUIET_HOURS_START–QUIET_HOURS_END, local time): the one rule for every send.

A message that is not a reply to the user's own action waits for the morning: every broadcast
is created holding for quiet hours (bot/broadcasts/services.py) and the engine
(scheduler/broadcasts.py) sends it from the end of the night, paced as usual. Staff may choose
to send at night from the preview; this module tells the preview how many recipients that wakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["QuietNow", "in_quiet_hours", "quiet_now"]


def in_quiet_hours(settings: Settings, when: datetime) -> timedelta | None:
    """How long until quiet hours end, or None outside them (local time)."""
    local = when.astimezone(settings.tz)
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    t = local.time()
    quiet = (start <= t or t < end) if start > end else (start <= t < end)
    if not quiet:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    end_at = datetime.combine(end_day, end, tzinfo=settings.tz)
    return end_at - local


@dataclass(frozen=True, slots=True)
class QuietNow:
    """What a preview tells staff during quiet hours."""

    recipients: int  # how many of the audience are in quiet hours now
    start: time
    end: time
    resume_at: datetime  # local time the held messages start going out


def quiet_now(settings: Settings, now: datetime, recipients: int) -> QuietNow | None:
    """The preview's quiet-hours notice for this audience, or None outside quiet hours.

    Every recipient is in the bot's one time zone, so during quiet hours all of them are.
    """
    left = in_quiet_hours(settings, now)
    if left is None:
        return None
    resume_at = (now + left).astimezone(settings.tz)
    return QuietNow(recipients, settings.quiet_hours_start, settings.quiet_hours_end, resume_at)
