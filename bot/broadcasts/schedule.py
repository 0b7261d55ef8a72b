"""Scheduled broadcasts: the "not before" time staff type, in local time, checked and kept as UTC.

The engine (scheduler/broadcasts.py) starts a broadcast no earlier than its send_after; quiet
hours still hold it afterwards unless staff chose to send at night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.render import local_minute

__all__ = ["MAX_AHEAD", "SendAfter", "audit_note", "parse_send_after"]

MAX_AHEAD = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class SendAfter:
    """A checked schedule: when (UTC; None: send now) or why not ('format'|'past'|'too_far')."""

    when: datetime | None = None
    error: str | None = None


def parse_send_after(typed: str, *, tz: ZoneInfo, now: datetime) -> SendAfter:
    """The typed local 'YYYY-MM-DD HH:MM' (or the browser's 'YYYY-MM-DDTHH:MM') as UTC."""
    text = typed.strip()
    if not text:
        return SendAfter()
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        return SendAfter(error="format")
    if local.tzinfo is not None:
        return SendAfter(error="format")  # a typed offset would contradict "Beijing time"
    when = local.replace(second=0, microsecond=0, tzinfo=tz).astimezone(UTC)
    if when <= now:
        return SendAfter(error="past")
    if when - now > MAX_AHEAD:
        return SendAfter(error="too_far")
    return SendAfter(when=when)


def audit_note(when: datetime | None) -> str:
    """What the audit line adds for a scheduled send ('' for one sent now)."""
    return f" 定时 {local_minute(when)}（北京时间）" if when else ""
