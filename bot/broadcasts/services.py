"""Broadcast bookkeeping: one row per broadcast, one delivery row per (broadcast, chat).

The rows make sending resumable and exactly-once under normal stops: a delivery is claimed
('sending') before its request and settled right after. A delivery found 'sending' when a
broadcast is resumed was in flight when the process died; it is marked 'uncertain' and never
re-sent (nobody gets a message twice; the report counts it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db import is_postgres
from bot.models import Broadcast, Delivery, Subscription, User, as_utc, utcnow
from bot.render import is_blank

__all__ = [
    "ACTIVE",
    "ALL_USERS",
    "MAX_TEXT",
    "Progress",
    "add_recipients",
    "add_subscribers",
    "audience_size",
    "cancel_broadcast",
    "claim_broadcast",
    "claim_delivery",
    "create_broadcast",
    "failure_reasons",
    "find_broadcast",
    "finish_broadcast",
    "is_due",
    "lease_expired",
    "next_deliveries",
    "progress",
    "recent_broadcasts",
    "recover_inflight",
    "release_lease",
    "renew_lease",
    "requeue_uncertain",
    "resumable_ids",
    "set_progress_message",
    "settle_delivery",
    "uncertain_recipients",
]

ACTIVE = ("queued", "running")
MAX_TEXT = 3500  # an admin's text, leaving room in Telegram's 4096 for what we add
ALL_USERS = "all"  # a topic meaning every user who has not blocked the bot


@dataclass(frozen=True, slots=True)
class Progress:
    """Delivery counts of one broadcast."""

    sent: int = 0
    failed: int = 0
    blocked: int = 0
    uncertain: int = 0
    pending: int = 0
    sending: int = 0

    @property
    def total(self) -> int:
        """Every recipient known so far."""
        return (
            self.sent + self.failed + self.blocked + self.uncertain + self.pending + self.sending
        )

    @property
    def remaining(self) -> int:
        """Not yet settled."""
        return self.pending + self.sending


def _insert_ignore(session: Session) -> type:
    return pg_insert if is_postgres(session.get_bind()) else sqlite_insert  # type: ignore[return-value, arg-type]


def add_recipients(session: Session, broadcast_id: int, chat_ids: Iterable[int]) -> int:
    """Queue explicit recipients; a chat already queued is not added twice."""
    rows = [
        {
            "broadcast_id": broadcast_id,
            "chat_id": c,
            "status": "pending",
            "attempts": 0,
            "updated_at": utcnow(),
        }
        for c in dict.fromkeys(chat_ids)
    ]
    if not rows:
        return 0
    stmt = _insert_ignore(session)(Delivery).values(rows).on_conflict_do_nothing()
    result = session.exec(stmt)
    session.commit()
    return int(result.rowcount or 0)


def _insert_pending(session: Session, chosen: Any) -> int:
    """INSERT … SELECT the chosen (broadcast, chat) pairs as pending; existing ones are kept."""
    columns = ["broadcast_id", "chat_id", "status", "attempts", "updated_at"]
    stmt = _insert_ignore(session)(Delivery).from_select(columns, chosen).on_conflict_do_nothing()
    result = session.exec(stmt)
    session.commit()
    return int(result.rowcount or 0)


def add_subscribers(session: Session, broadcast: Broadcast) -> int:
    """Queue the topic's active subscribers not reached yet (late subscribers included)."""
    if broadcast.topic is None or broadcast.id is None:
        return 0
    if broadcast.topic == ALL_USERS:
        return _add_all_users(session, broadcast.id)
    already = exists().where(
        col(Delivery.broadcast_id) == broadcast.id,
        col(Delivery.chat_id) == col(Subscription.user_id),
    )
    chosen = (
        sa_select(
            literal(broadcast.id),
            col(Subscription.user_id),
            literal("pending"),
            literal(0),
            literal(utcnow()),
        )
        .join(User, col(User.id) == col(Subscription.user_id))
        .where(
            col(Subscription.topic) == broadcast.topic,
            col(Subscription.active).is_(True),
            col(User.blocked).is_(False),
            ~already,
        )
        .order_by(col(Subscription.user_id))
    )
    return _insert_pending(session, chosen)


def _add_all_users(session: Session, broadcast_id: int) -> int:
    already = exists().where(
        col(Delivery.broadcast_id) == broadcast_id, col(Delivery.chat_id) == col(User.id)
    )
    chosen = (
        sa_select(
            literal(broadcast_id), col(User.id), literal("pending"), literal(0), literal(utcnow())
        )
        .where(col(User.blocked).is_(False), ~already)
        .order_by(col(User.id))
    )
    return _insert_pending(session, chosen)


def audience_size(session: Session, topic: str | None, recipients: Iterable[int] = ()) -> int:
    """How many chats a broadcast to the topic (and the explicit recipients) reaches now.

    The same choice as the queue makes: everyone means every user who has not blocked the bot.
    """
    if topic == ALL_USERS:
        query = sa_select(col(User.id)).where(col(User.blocked).is_(False))
    else:
        query = (
            sa_select(col(Subscription.user_id))
            .join(User, col(User.id) == col(Subscription.user_id))
            .where(
                col(Subscription.topic) == (topic or ""),
                col(Subscription.active).is_(True),
                col(User.blocked).is_(False),
            )
        )
    return len(set(recipients) | set(session.exec(query).scalars().all()))  # type: ignore[call-overload]


def create_broadcast(
    session: Session,
    *,
    kind: str,
    text: str,
    topic: str | None = None,
    recipients: Iterable[int] = (),
    key: str | None = None,
    created_by: int | None = None,
    progress_chat_id: int | None = None,
    document_file_id: str | None = None,
    document_name: str | None = None,
    respect_quiet_hours: bool = True,
    send_after: datetime | None = None,
) -> Broadcast:
    """Queue a broadcast; with a key, a second call returns the first broadcast unchanged.

    It waits for the end of quiet hours (bot/broadcasts/quiet.py) unless respect_quiet_hours
    is False: staff chose to send at night, or it answers the recipient's own request. With
    send_after the engine starts it no earlier than that.
    """
    if is_blank(text) and document_file_id is None:
        raise ValueError("a broadcast needs a text: Telegram refuses an empty message")
    if key is not None and (existing := find_broadcast(session, key)) is not None:
        return existing
    broadcast = Broadcast(
        key=key,
        kind=kind,
        topic=topic,
        text=text,
        status="queued",
        created_by=created_by,
        progress_chat_id=progress_chat_id,
        document_file_id=document_file_id,
        document_name=document_name,
        respect_quiet_hours=respect_quiet_hours,
        send_after=send_after,
    )
    session.add(broadcast)
    try:
        session.commit()
    except IntegrityError:  # another worker created the same key first
        session.rollback()
        return session.exec(select(Broadcast).where(Broadcast.key == key)).one()
    assert broadcast.id is not None
    add_recipients(session, broadcast.id, recipients)
    return broadcast


def find_broadcast(session: Session, key: str) -> Broadcast | None:
    """The broadcast queued under this key, if any (a tip already sent this year ...)."""
    return session.exec(select(Broadcast).where(Broadcast.key == key)).first()


def claim_broadcast(
    session: Session, broadcast_id: int, *, now: datetime, lease: timedelta
) -> Broadcast | None:
    """Take (or renew) the sending lease; None when another worker holds it or it is over."""
    stmt = (
        update(Broadcast)
        .where(
            col(Broadcast.id) == broadcast_id,
            col(Broadcast.status).in_(ACTIVE),
            (col(Broadcast.lease_until).is_(None)) | (col(Broadcast.lease_until) < now),
            (col(Broadcast.send_after).is_(None)) | (col(Broadcast.send_after) <= now),
        )
        .values(
            status="running",
            lease_until=now + lease,
            started_at=func.coalesce(Broadcast.started_at, now),
        )
    )
    result = session.exec(stmt)
    session.commit()
    if result.rowcount != 1:
        return None
    return session.get(Broadcast, broadcast_id, populate_existing=True)


def renew_lease(session: Session, broadcast_id: int, *, now: datetime, lease: timedelta) -> str:
    """Extend the lease; returns the broadcast's status (a cancel shows up here)."""
    broadcast = session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        return "cancelled"
    if broadcast.status == "running":
        broadcast.lease_until = now + lease
        session.add(broadcast)
        session.commit()
    return broadcast.status


def release_lease(session: Session, broadcast_id: int) -> None:
    """A worker stopping cleanly lets the next start take over at once."""
    session.exec(
        update(Broadcast).where(col(Broadcast.id) == broadcast_id).values(lease_until=None)
    )
    session.commit()


def recover_inflight(session: Session, broadcast_id: int) -> int:
    """Deliveries left 'sending' by a dead process become 'uncertain' (never re-sent)."""
    stmt = (
        update(Delivery)
        .where(col(Delivery.broadcast_id) == broadcast_id, col(Delivery.status) == "sending")
        .values(
            status="uncertain", error="进程中断时正在发送，无法确认是否送达", updated_at=utcnow()
        )
    )
    result = session.exec(stmt)
    session.commit()
    return int(result.rowcount or 0)


def next_deliveries(session: Session, broadcast_id: int, limit: int) -> list[Delivery]:
    """The next pending deliveries in a stable order (not yet claimed)."""
    query = (
        select(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == "pending")
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    return list(session.exec(query).all())


def claim_delivery(session: Session, delivery_id: int) -> bool:
    """Mark one delivery 'sending' just before its request.

    False when another worker took it or the broadcast is no longer running, so a cancel stops
    the very next message, not the next batch.
    """
    running = exists().where(
        col(Broadcast.id) == col(Delivery.broadcast_id), col(Broadcast.status) == "running"
    )
    result = session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == "pending", running)
        .values(status="sending", attempts=Delivery.attempts + 1, updated_at=utcnow())
    )
    session.commit()
    return bool(result.rowcount == 1)


def settle_delivery(
    session: Session,
    delivery_id: int,
    *,
    status: str,
    error: str | None = None,
    message_id: int | None = None,
) -> None:
    """Record how one delivery ended: sent, failed or blocked."""
    session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(status=status, error=error, message_id=message_id, updated_at=utcnow())
    )
    session.commit()


def progress(session: Session, broadcast_id: int) -> Progress:
    """Counts by status."""
    rows = session.exec(
        select(Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(col(Delivery.status))
    ).all()
    counts = {status: int(n) for status, n in rows}
    return Progress(**{k: counts.get(k, 0) for k in Progress.__dataclass_fields__})


def failure_reasons(session: Session, ids: Iterable[int]) -> dict[int, list[tuple[str, str, int]]]:
    """Per broadcast, (status, error, count) of the deliveries that did not arrive, most first."""
    rows = session.exec(
        select(Delivery.broadcast_id, Delivery.status, Delivery.error, func.count())
        .where(
            col(Delivery.broadcast_id).in_(list(ids)),
            col(Delivery.status).in_(("failed", "blocked", "uncertain")),
        )
        .group_by(col(Delivery.broadcast_id), col(Delivery.status), col(Delivery.error))
        .order_by(col(Delivery.broadcast_id), func.count().desc(), col(Delivery.error))
    ).all()
    found: dict[int, list[tuple[str, str, int]]] = {}
    for broadcast_id, status, error, count in rows:
        found.setdefault(broadcast_id, []).append((status, error or "", int(count)))
    return found


def uncertain_recipients(session: Session, broadcast_id: int, limit: int = 30) -> list[str]:
    """Who may or may not have got the broadcast (a send timed out): names for the report."""
    rows = session.exec(
        select(Delivery.chat_id, User.display_name)
        .join(User, col(User.id) == col(Delivery.chat_id), isouter=True)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == "uncertain")
        .order_by(col(Delivery.id))
        .limit(limit)
    ).all()
    return [f"{name or '用户'}（{chat_id}）" for chat_id, name in rows]


def requeue_uncertain(session: Session, broadcast_id: int) -> int:
    """Staff chose to re-send the uncertain deliveries of a finished broadcast; how many."""
    reopened = session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id, col(Broadcast.status) == "done")
        .values(status="queued", finished_at=None, lease_until=None)
    )
    if reopened.rowcount != 1:
        session.rollback()
        return 0
    result = session.exec(
        update(Delivery)
        .where(col(Delivery.broadcast_id) == broadcast_id, col(Delivery.status) == "uncertain")
        .values(status="pending", error=None, updated_at=utcnow())
    )
    session.commit()
    return int(result.rowcount or 0)


def finish_broadcast(session: Session, broadcast_id: int, *, status: str = "done") -> None:
    """Mark a broadcast finished and drop its lease."""
    broadcast = session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None or broadcast.status in ("done", "cancelled"):
        return
    recover_inflight(session, broadcast_id)  # a row whose outcome was never recorded
    broadcast.status = status
    broadcast.finished_at = utcnow()
    broadcast.lease_until = None
    session.add(broadcast)
    session.commit()


def cancel_broadcast(session: Session, broadcast_id: int) -> Broadcast | None:
    """Cancel a queued or running broadcast; None when there is nothing to cancel."""
    broadcast = session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None or broadcast.status not in (*ACTIVE, "draft"):
        return None
    broadcast.status = "cancelled"
    broadcast.finished_at = utcnow()
    session.add(broadcast)
    session.commit()
    return broadcast


def resumable_ids(session: Session) -> list[int]:
    """Broadcasts that still have work (after a restart, or queued by another process)."""
    rows = session.exec(
        select(Broadcast.id).where(col(Broadcast.status).in_(ACTIVE)).order_by(col(Broadcast.id))
    ).all()
    return [r for r in rows if r is not None]


def recent_broadcasts(session: Session, limit: int = 10) -> list[tuple[Broadcast, Progress]]:
    """The latest broadcasts with their figures."""
    rows = session.exec(select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)).all()
    return [(b, progress(session, b.id)) for b in rows if b.id is not None]


def set_progress_message(session: Session, broadcast_id: int, message_id: int) -> None:
    """Remember the admin's progress message so a resumed broadcast keeps editing it."""
    session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id)
        .values(progress_message_id=message_id)
    )
    session.commit()


def is_due(broadcast: Broadcast, now: datetime) -> bool:
    """True unless the broadcast is scheduled for later than now."""
    return broadcast.send_after is None or as_utc(broadcast.send_after) <= now


def lease_expired(broadcast: Broadcast, now: datetime) -> bool:
    """True when nobody is sending this broadcast."""
    return broadcast.lease_until is None or as_utc(broadcast.lease_until) < now
