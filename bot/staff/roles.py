"""Granted roles: admins make users inspectors (and take it back); each change is audited."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session, select

from bot.models import User
from bot.users import INSPECTOR, audit

__all__ = ["GrantOutcome", "grant_role", "list_role_holders", "revoke_role"]

GrantOutcome = Literal["granted", "already", "unknown"]


def grant_role(
    session: Session, *, actor_id: int, user_id: int, role: str = INSPECTOR
) -> GrantOutcome:
    """Grant a role to a known user.

    "unknown" when the user has never talked to the bot; "already" when they hold the role
    (nothing changes and nothing is audited, so nobody is told twice).
    """
    user = session.get(User, user_id)
    if user is None:
        return "unknown"
    if role in user.role_set():
        return "already"
    user.roles = ",".join(sorted(user.role_set() | {role}))
    session.add(user)
    audit(session, actor_id=actor_id, action=f"grant:{role}", detail=str(user_id))
    return "granted"


def revoke_role(session: Session, *, actor_id: int, user_id: int, role: str = INSPECTOR) -> bool:
    """Revoke a granted role; False when the user did not hold it."""
    user = session.get(User, user_id)
    if user is None or role not in user.role_set():
        return False
    user.roles = ",".join(sorted(user.role_set() - {role}))
    session.add(user)
    audit(session, actor_id=actor_id, action=f"revoke:{role}", detail=str(user_id))
    return True


def list_role_holders(session: Session, role: str = INSPECTOR) -> list[User]:
    """Users holding a granted role."""
    users = session.exec(select(User).where(User.roles.contains(role))).all()  # type: ignore[attr-defined]
    return [u for u in users if role in u.role_set()]
