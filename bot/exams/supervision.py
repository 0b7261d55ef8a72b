"""A supervised sitting is supervised: while it runs, other features are refused and counted."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.models import Attempt, as_utc

__all__ = ["MAX_LOG", "open_sitting", "record_refusal"]

MAX_LOG = 2000  # characters of refused uses kept on the attempt; the count goes on


def open_sitting(session: Session, user_id: int, now: datetime) -> int | None:
    """The id of the user's supervised sitting still under way, if any (one indexed query)."""
    row = session.exec(
        select(Attempt.id, Attempt.deadline).where(
            col(Attempt.user_id) == user_id,
            col(Attempt.mode) == "exam",
            col(Attempt.status) == "active",
        )
    ).first()
    if row is None:
        return None
    attempt_id, deadline = row
    # Past the deadline the sitting is over (the sweep submits it): nothing to supervise.
    return attempt_id if deadline is None or as_utc(deadline) > now else None


def record_refusal(
    session: Session, attempt_id: int, what: str, *, now: datetime, tz: tzinfo
) -> None:
    """Count one refused use on the attempt and note when and what (shown to the inspector)."""
    entry = f"{as_utc(now).astimezone(tz):%H:%M:%S} {what[:40]}\n"
    session.exec(
        update(Attempt)
        .where(col(Attempt.id) == attempt_id)
        .values(refused_count=col(Attempt.refused_count) + 1)
    )
    session.exec(
        update(Attempt)
        .where(col(Attempt.id) == attempt_id, func.length(col(Attempt.refused_log)) < MAX_LOG)
        .values(refused_log=col(Attempt.refused_log) + entry)
    )
    session.commit()
