"""Whether a person's text belongs to 监督抽考: the one probe the free-text handler asks.

It is run with every feature's probe in one database call (bot/kit/registration.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.exams import issue, paper_settings

__all__ = ["owes_text"]


def owes_text(session: Session, user_id: int, now: datetime, text: str) -> bool:
    """A typed code, an inspector's draft step, a candidate's name or an admin's paper field."""
    return (
        issue.owes_text(session, user_id, now, text)
        or paper_settings.editing(session, user_id, now) is not None
    )
