"""Users, their business type and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from bot.db import ensure_row
from bot.models import AuditLog, User, as_utc, utcnow
from knowledge.vocab import business_types

__all__ = [
    "INSPECTOR",
    "Roles",
    "audit",
    "business_type_of",
    "find_user",
    "is_fresh",
    "mark_blocked",
    "set_business_type",
    "upsert_user",
]

INSPECTOR = "inspector"
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Roles:
    """Which staff ids come from settings; granted roles live on the User row."""

    admins: frozenset[int]
    inspectors: frozenset[int]

    def is_admin(self, user_id: int) -> bool:
        """Administrators are listed in ADMIN_USER_IDS."""
        return user_id in self.admins

    def is_inspector(self, session: Session, user_id: int) -> bool:
        """Inspectors come from settings or were granted in chat; admins count too."""
        if user_id in self.inspectors or user_id in self.admins:
            return True
        return self.row_is_inspector(user_id, session.get(User, user_id))

    def row_is_inspector(self, user_id: int, user: User | None) -> bool:
        """is_inspector with the user's row already at hand (the update's sender)."""
        if user_id in self.inspectors or user_id in self.admins:
            return True
        return user is not None and user.id == user_id and INSPECTOR in user.role_set()


def find_user(session: Session, user_id: int) -> User | None:
    """The user's row, if they ever talked to the bot."""
    return session.get(User, user_id)


def is_fresh(user: User, *, display_name: str, username: str | None) -> bool:
    """True when upsert_user would write nothing (same names, seen lately, not blocking)."""
    return (
        not user.blocked
        and user.display_name == display_name[:128]
        and user.username == username
        and utcnow() - as_utc(user.last_seen) < LAST_SEEN_RESOLUTION
    )


def upsert_user(
    session: Session, *, user_id: int, display_name: str, username: str | None
) -> User:
    """Create or refresh the user row; a message from a user proves they are not blocking us."""
    user = session.get(User, user_id)
    now = utcnow()
    if user is not None and is_fresh(user, display_name=display_name, username=username):
        return user  # nothing new: spare a write on every update of a busy conversation
    if user is None:  # a first tap: another worker may be inserting the same user right now
        user = ensure_row(
            session, User(id=user_id, display_name=display_name, username=username, first_seen=now)
        )
    user.display_name = display_name[:128]
    user.username = username
    user.last_seen = now
    user.blocked = False
    session.add(user)
    session.commit()
    return user


def business_type_of(session: Session, user_id: int) -> str | None:
    """The business type the user chose, if any."""
    user = session.get(User, user_id)
    return user.business_type if user else None


def set_business_type(session: Session, *, user_id: int, business_type: str) -> User | None:
    """Store the chosen business type; unknown keys and users change nothing."""
    if business_type not in business_types():
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    user.business_type = business_type
    session.add(user)
    session.commit()
    return user


def mark_blocked(session: Session, *, user_id: int, blocked: bool = True) -> None:
    """Record that the user blocked (or unblocked) the bot."""
    user = session.get(User, user_id)
    if user is not None and user.blocked != blocked:
        user.blocked = blocked
        session.add(user)
        session.commit()


def audit(session: Session, *, actor_id: int, action: str, detail: str = "") -> None:
    """Log a staff action and commit it with the caller's changes."""
    session.add(AuditLog(actor_id=actor_id, action=action, detail=detail[:2000]))
    session.commit()
