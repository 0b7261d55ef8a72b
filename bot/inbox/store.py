"""The inbox table's work: store updates once, claim them in lane order, settle each claim.

Every function takes the engine and runs one short transaction: the consumer calls them
through asyncio.to_thread so the event loop never waits on the database. A claim is
(state='claimed', holder, claim_expires_at); an expired claim is taken over by any worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from bot.db import is_postgres
from bot.models import InboxUpdate, as_utc

__all__ = [
    "Claimed",
    "add",
    "claim",
    "counts",
    "fail",
    "finish",
    "heartbeat",
    "lane_of",
    "mark_notified",
    "mark_reply",
    "note_uncertain",
    "purge",
    "ready",
    "release_dead",
    "retry",
    "uncertain",
]

T = InboxUpdate.__table__  # type: ignore[attr-defined]
OPEN = ("pending", "claimed")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this worker now holds: the update and what the retry policy needs."""

    id: int
    update_id: int
    payload: dict[str, Any]
    chat_id: int | None
    attempts: int
    received_at: datetime
    notified: bool
    replied: bool  # a message was sent for it before: running it again would answer twice
    uncertain: bool  # a message was in flight when its last worker stopped


def lane_of(update: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(chat id, user id) of an update as Telegram JSON; None where the update has none."""
    body = next((v for k, v in update.items() if k != "update_id" and isinstance(v, dict)), {})
    chat = body.get("chat") or (body.get("message") or {}).get("chat") or {}
    user = body.get("from") or body.get("user") or {}
    return chat.get("id"), user.get("id")


def _row(update: Mapping[str, Any], now: datetime, notified: bool) -> dict[str, Any]:
    chat_id, user_id = lane_of(update)
    return {
        "update_id": update["update_id"],
        "payload": json.dumps(update, ensure_ascii=False),
        "chat_id": chat_id,
        "user_id": user_id,
        # A private chat's id is its user's id, so a poll answer queues behind that chat.
        "lane": chat_id if chat_id is not None else user_id,
        "state": "pending",
        "attempts": 0,
        "next_try_at": now,
        "received_at": now,
        "notified_at": now if notified else None,
    }


def add(
    engine: Engine,
    updates: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    notified: frozenset[int] = frozenset(),
) -> int:
    """Store updates not stored yet (a re-delivery is ignored); how many were new."""
    rows = [_row(u, now, u["update_id"] in notified) for u in updates]
    if not rows:
        return 0
    insert = pg_insert if is_postgres(engine) else sqlite_insert
    statement = (
        insert(T)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(T.c.update_id)  # rowcount is not reliable for a multi-row insert
    )
    with engine.begin() as connection:
        return len(connection.execute(statement).all())


def _ready(now: datetime) -> Any:
    earlier = T.alias("earlier")
    due = or_(
        and_(T.c.state == "pending", T.c.next_try_at <= now),
        and_(T.c.state == "claimed", T.c.claim_expires_at < now),
    )
    # One lane in order: nothing while an earlier row of the same chat is still open.
    blocked = exists().where(
        earlier.c.lane == T.c.lane,
        earlier.c.update_id < T.c.update_id,
        earlier.c.state.in_(OPEN),
    )
    return and_(due, ~blocked)


def ready(engine: Engine, *, now: datetime) -> bool:
    """Whether any row may be claimed now (a read: no write lock while idle on SQLite)."""
    with engine.connect() as connection:
        return connection.execute(select(T.c.id).where(_ready(now)).limit(1)).first() is not None


def claim(
    engine: Engine, holder: str, *, now: datetime, ttl: timedelta, limit: int
) -> list[Claimed]:
    """Claim up to limit ready rows, oldest first, at most one per lane."""
    pick = select(T.c.id).where(_ready(now)).order_by(T.c.update_id).limit(limit)
    if is_postgres(engine):
        pick = pick.with_for_update(skip_locked=True)
    statement = (
        update(T)
        .where(T.c.id.in_(pick.scalar_subquery()))
        .values(
            state="claimed", holder=holder, claim_expires_at=now + ttl, attempts=T.c.attempts + 1
        )
        .returning(
            T.c.id,
            T.c.update_id,
            T.c.payload,
            T.c.chat_id,
            T.c.attempts,
            T.c.received_at,
            T.c.notified_at,
            T.c.sending_at,
            T.c.replied_at,
        )
    )
    with engine.begin() as connection:
        rows = connection.execute(statement).all()
    claimed = [
        Claimed(
            r.id,
            r.update_id,
            json.loads(r.payload),
            r.chat_id,
            r.attempts,
            as_utc(r.received_at),
            r.notified_at is not None,
            r.replied_at is not None,
            r.sending_at is not None and r.replied_at is None,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda c: c.update_id)


def heartbeat(engine: Engine, holder: str, *, now: datetime, ttl: timedelta) -> int:
    """Extend every claim this worker holds (a slow handler keeps its row)."""
    statement = (
        update(T)
        .where(T.c.holder == holder, T.c.state == "claimed")
        .values(claim_expires_at=now + ttl)
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


def _settle(engine: Engine, row_id: int, holder: str, **values: Any) -> bool:
    statement = (
        update(T)
        .where(T.c.id == row_id, T.c.holder == holder, T.c.state == "claimed")
        .values(holder=None, claim_expires_at=None, **values)
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def finish(engine: Engine, row_id: int, holder: str, *, now: datetime) -> bool:
    """The update was handled: done (False if the claim was no longer ours)."""
    return _settle(engine, row_id, holder, state="done", done_at=now)


def retry(
    engine: Engine, row_id: int, holder: str, *, now: datetime, delay: timedelta, error: str
) -> bool:
    """A transient failure: back to pending, not before now + delay."""
    # A transient failure is never a send that may have arrived (timeouts are not retried).
    return _settle(
        engine,
        row_id,
        holder,
        state="pending",
        next_try_at=now + delay,
        last_error=error,
        sending_at=None,
    )


def fail(engine: Engine, row_id: int, holder: str, *, now: datetime, error: str) -> bool:
    """Given up: the user was told once; the row stays for inspection until purged."""
    return _settle(engine, row_id, holder, state="failed", done_at=now, last_error=error)


def mark_reply(
    engine: Engine, row_id: int, holder: str, *, now: datetime, sent: bool | None
) -> None:
    """The first message for this update is about to go out (False), went out (True) or was
    refused by Telegram (None: nothing in flight after all)."""
    values: dict[str, datetime | None] = {"sending_at": None}
    if sent is not None:
        values = {"replied_at": now} if sent else {"sending_at": now}
    statement = update(T).where(T.c.id == row_id, T.c.holder == holder).values(**values)
    with engine.begin() as connection:
        connection.execute(statement)


UNCERTAIN = "UncertainReply"


def note_uncertain(engine: Engine, row_id: int) -> None:
    """Record that a reply of this update was in flight when its worker died."""
    statement = update(T).where(T.c.id == row_id).values(last_error=UNCERTAIN, sending_at=None)
    with engine.begin() as connection:
        connection.execute(statement)


def mark_notified(engine: Engine, row_id: int, *, now: datetime) -> None:
    """The user was told the answer will be late: never again for this update."""
    with engine.begin() as connection:
        connection.execute(update(T).where(T.c.id == row_id).values(notified_at=now))


def release_dead(engine: Engine, is_dead: Callable[[str], bool]) -> int:
    """Hand the claims of workers known to be gone back to the queue at once."""
    with engine.begin() as connection:
        holders = connection.execute(
            select(T.c.holder).where(T.c.state == "claimed").distinct()
        ).scalars()
        dead = [h for h in holders if h is not None and is_dead(h)]
        if not dead:
            return 0
        statement = (
            update(T)
            .where(T.c.state == "claimed", T.c.holder.in_(dead))
            .values(state="pending", holder=None, claim_expires_at=None)
        )
        return connection.execute(statement).rowcount


def purge(engine: Engine, *, now: datetime, done_for: timedelta, failed_for: timedelta) -> int:
    """Delete rows settled long enough ago; how many."""
    old = or_(
        and_(T.c.state == "done", T.c.done_at < now - done_for),
        and_(T.c.state == "failed", T.c.done_at < now - failed_for),
    )
    with engine.begin() as connection:
        return connection.execute(delete(T).where(old)).rowcount


def uncertain(engine: Engine) -> int:
    """Rows whose reply was in flight when a worker died (run again: maybe answered twice)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(T).where(T.c.last_error == UNCERTAIN)
            ).scalar_one()
        )


def counts(engine: Engine) -> dict[str, int]:
    """Rows per state (for tests, benches and the log)."""
    with engine.connect() as connection:
        rows = connection.execute(select(T.c.state, func.count()).group_by(T.c.state)).all()
    return {state: int(n) for state, n in rows}
