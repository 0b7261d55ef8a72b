"""Composing an admin broadcast: a draft row (its text, then who receives it), then queued.

Every write of the composer is here; handlers/broadcasts/compose.py only asks and shows.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.broadcasts.schedule import audit_note
from bot.broadcasts.services import (
    ALL_USERS,
    MAX_TEXT,
    audience_size,
    cancel_broadcast,
    requeue_uncertain,
)
from bot.models import Broadcast
from bot.render import is_blank
from bot.tips.subscriptions import TOPICS
from bot.users import audit

__all__ = [
    "audience",
    "awaiting_text",
    "cancel",
    "choose_topic",
    "queue_draft",
    "resend_uncertain",
    "set_text",
    "start_draft",
    "take_text",
]

DRAFT = "draft"


def _draft_of(session: Session, admin_id: int) -> Broadcast | None:
    return session.exec(
        select(Broadcast)
        .where(Broadcast.created_by == admin_id, Broadcast.status == DRAFT)
        .order_by(col(Broadcast.id).desc())
    ).first()


def start_draft(session: Session, *, admin_id: int) -> Broadcast:
    """The admin's draft, emptied (or a new one): their next text becomes the message."""
    draft = _draft_of(session, admin_id) or Broadcast(
        kind="admin", text="", status=DRAFT, created_by=admin_id, progress_chat_id=admin_id
    )
    draft.text = ""
    session.add(draft)
    session.commit()
    return draft


def awaiting_text(session: Session, admin_id: int) -> Broadcast | None:
    """The admin's draft that waits for its text, if any."""
    draft = _draft_of(session, admin_id)
    return draft if draft is not None and not draft.text else None


def set_text(session: Session, draft: Broadcast, text: str) -> str | None:
    """Keep the text as the draft's message; else why not ('empty' or 'too_long')."""
    if is_blank(text):
        return "empty"  # only spaces: Telegram would refuse to send it
    if len(text) > MAX_TEXT:
        return "too_long"
    draft.text = text
    session.add(draft)
    session.commit()
    return None


def choose_topic(
    session: Session, *, draft_id: int, admin_id: int, topic: str
) -> Broadcast | None:
    """Who receives the draft; None for a stale or forged button."""
    draft = session.get(Broadcast, draft_id)
    if (
        draft is None
        or draft.status != DRAFT
        or draft.created_by != admin_id
        or topic not in (*TOPICS, ALL_USERS)
    ):
        return None
    draft.topic = topic
    session.add(draft)
    session.commit()
    return draft


def queue_draft(
    session: Session,
    *,
    draft_id: int,
    admin_id: int,
    night: bool = False,
    send_after: datetime | None = None,
) -> Broadcast | None:
    """Confirmed: queue the draft for the engine, audited in the same transaction.

    It waits for the end of quiet hours unless the admin chose to send at night, and with
    send_after (UTC) the engine starts it no earlier than that.
    """
    draft = session.get(Broadcast, draft_id)
    if draft is None or draft.status != DRAFT or draft.created_by != admin_id or not draft.topic:
        return None
    draft.status = "queued"
    draft.respect_quiet_hours = not night
    draft.send_after = send_after
    session.add(draft)
    when = audit_note(send_after)
    audit(
        session,
        actor_id=admin_id,
        action="broadcast:start",
        detail=f"#{draft.id} {draft.topic}" + (" 夜间立即发送" if night else "") + when,
    )
    return draft


def audience(session: Session, draft: Broadcast) -> int | None:
    """How many people the chosen topic reaches (None: not chosen yet)."""
    return audience_size(session, draft.topic) if draft.topic else None


def take_text(session: Session, admin_id: int, text: str) -> tuple[Broadcast | None, str | None]:
    """The admin's waiting draft takes the text: (the draft or None, why it was not kept)."""
    draft = awaiting_text(session, admin_id)
    return draft, (set_text(session, draft, text) if draft is not None else None)


def cancel(session: Session, *, broadcast_id: int, admin_id: int) -> Broadcast | None:
    """/broadcast_cancel: stop a queued or running broadcast (or drop a draft), audited."""
    cancelled = cancel_broadcast(session, broadcast_id)
    if cancelled is not None:
        audit(session, actor_id=admin_id, action="broadcast:cancel", detail=f"#{broadcast_id}")
    return cancelled


def resend_uncertain(session: Session, *, broadcast_id: int, admin_id: int) -> int:
    """Staff chose to send the uncertain deliveries again; how many, audited."""
    count = requeue_uncertain(session, broadcast_id)
    if count:
        audit(
            session,
            actor_id=admin_id,
            action="broadcast:resend",
            detail=f"#{broadcast_id} {count}",
        )
    return count
