"""Sign-in without passwords: single-use links, sessions with an idle timeout, staff roles.

Tokens are random (secrets.token_urlsafe); only their SHA-256 is stored, so a copy of the
database opens nothing. This module is a service: it takes a Session and knows no web framework.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import update
from sqlmodel import Session, col

from bot.console.models import ConsoleLink, ConsoleSession
from bot.models import as_utc
from bot.users import Roles

__all__ = [
    "IDLE_TIMEOUT",
    "LINK_LIFETIME",
    "LinkProblem",
    "Staff",
    "create_link",
    "end_session",
    "hash_token",
    "link_problem",
    "link_url",
    "redeem_link",
    "staff_role",
    "touch_session",
]

LINK_LIFETIME = timedelta(minutes=10)
IDLE_TIMEOUT = timedelta(hours=8)
SEEN_RESOLUTION = timedelta(minutes=1)  # spare a write on every page view


class LinkProblem(Enum):
    """Why a sign-in link did not open a session."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    NOT_STAFF = "not_staff"


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in staff member of a request."""

    user_id: int
    role: str  # admin | inspector
    csrf: str
    session_hash: str

    @property
    def is_admin(self) -> bool:
        """Administrators may do everything."""
        return self.role == "admin"


def hash_token(token: str) -> str:
    """The stored form of a link or session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def staff_role(session: Session, roles: Roles, user_id: int) -> str | None:
    """admin, inspector (configured or granted in chat), or None: the bot's own rules."""
    if roles.is_admin(user_id):
        return "admin"
    if roles.is_inspector(session, user_id):
        return "inspector"
    return None


def create_link(session: Session, *, user_id: int, now: datetime) -> str:
    """A new single-use sign-in token for this user, valid LINK_LIFETIME."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleLink(
            token_hash=hash_token(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    session.commit()
    return token


def link_url(base_url: str, token: str) -> str:
    """The address a staff member opens to sign in."""
    return f"{base_url.rstrip('/')}/login/{token}"


def link_problem(session: Session, *, token: str, now: datetime) -> LinkProblem | None:
    """Why this link cannot be used now, without using it (None: it can)."""
    link = session.get(ConsoleLink, hash_token(token))
    if link is None:
        return LinkProblem.UNKNOWN
    if link.used_at is not None:
        return LinkProblem.USED
    if as_utc(link.expires_at) <= now:
        return LinkProblem.EXPIRED
    return None


def redeem_link(
    session: Session, roles: Roles, *, token: str, now: datetime
) -> tuple[str, ConsoleSession] | LinkProblem:
    """Use a link once: (session token, session row), or why not."""
    digest = hash_token(token)
    problem = link_problem(session, token=token, now=now)
    link = session.get(ConsoleLink, digest)
    if problem is not None or link is None:
        return problem or LinkProblem.UNKNOWN
    # Claimed in the database: of two tabs opening the same link, one wins.
    claimed = session.exec(
        update(ConsoleLink)
        .where(col(ConsoleLink.token_hash) == digest, col(ConsoleLink.used_at).is_(None))
        .values(used_at=now)
    )
    session.commit()
    if claimed.rowcount != 1:
        return LinkProblem.USED
    if staff_role(session, roles, link.user_id) is None:
        return LinkProblem.NOT_STAFF
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=hash_token(token),
        user_id=link.user_id,
        csrf=secrets.token_urlsafe(24),
        created_at=now,
        last_seen=now,
    )
    session.add(row)
    session.commit()
    return token, row


def touch_session(session: Session, roles: Roles, *, token: str, now: datetime) -> Staff | None:
    """The staff member behind a session cookie, or None (unknown, ended, idle, no role)."""
    row = session.get(ConsoleSession, hash_token(token))
    if row is None or row.ended_at is not None:
        return None
    if now - as_utc(row.last_seen) > IDLE_TIMEOUT:
        return None
    role = staff_role(session, roles, row.user_id)
    if role is None:  # the role was revoked in chat: the session is worth nothing now
        return None
    if now - as_utc(row.last_seen) >= SEEN_RESOLUTION:
        row.last_seen = now
        session.add(row)
        session.commit()
    return Staff(user_id=row.user_id, role=role, csrf=row.csrf, session_hash=row.token_hash)


def end_session(session: Session, *, session_hash: str, now: datetime) -> None:
    """Log out: the cookie's session stops working at once."""
    row = session.get(ConsoleSession, session_hash)
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.add(row)
        session.commit()
