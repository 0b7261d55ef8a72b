"""Process leases: work only one process may do at a time, such as long polling a bot.

A lease is a row held until expires_at and renewed well before that while its process runs.
Taking it is one conditional UPDATE (free, ours, or stale) or, the first time, an INSERT that
the primary key lets only one process win: two processes never both believe they hold it. A
holder that ran on this machine and whose process is gone (killed) is taken over at once.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.models import ProcessLease, as_utc

__all__ = ["POLLING", "Held", "acquire", "holder_is_dead", "make_holder", "release", "renew"]

POLLING = "polling"


@dataclass(frozen=True, slots=True)
class Held:
    """Someone else holds the lease (who, and until when unless renewed)."""

    holder: str
    expires_at: datetime


def make_holder() -> str:
    """This process's name in a lease: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def holder_is_dead(holder: str) -> bool:
    """True when the holder ran on this machine and its process is gone (killed, crashed)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: only the lease's expiry tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


def _take(
    session: Session,
    name: str,
    holder: str,
    now: datetime,
    ttl: timedelta,
    dead: str | None = None,
) -> bool:
    free = (col(ProcessLease.holder) == holder) | (col(ProcessLease.expires_at) < now)
    if dead is not None:
        free = free | (col(ProcessLease.holder) == dead)
    result = session.exec(
        update(ProcessLease)
        .where(col(ProcessLease.name) == name, free)
        .values(holder=holder, expires_at=now + ttl)
    )
    session.commit()
    return bool(result.rowcount)


def acquire(
    engine: Engine, name: str, holder: str, *, now: datetime, ttl: timedelta
) -> Held | None:
    """Take the lease if it is free, ours or stale; otherwise who holds it."""
    with Session(engine) as session:
        if _take(session, name, holder, now, ttl):
            return None
        try:
            session.add(
                ProcessLease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
            )
            session.commit()
            return None
        except IntegrityError:  # another process inserted it first, or holds it
            session.rollback()
        if _take(session, name, holder, now, ttl):  # it went stale in between
            return None
        row = session.get(ProcessLease, name)
        assert row is not None
        if holder_is_dead(row.holder) and _take(session, name, holder, now, ttl, row.holder):
            return None
        return Held(row.holder, as_utc(row.expires_at))


def renew(engine: Engine, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Extend our lease; False when it is no longer ours (we were stale and it was taken)."""
    with Session(engine) as session:
        result = session.exec(
            update(ProcessLease)
            .where(col(ProcessLease.name) == name, col(ProcessLease.holder) == holder)
            .values(expires_at=now + ttl)
        )
        session.commit()
        return bool(result.rowcount)


def release(engine: Engine, name: str, holder: str) -> None:
    """Let the lease go at once (a clean stop), so the next start need not wait."""
    with Session(engine) as session:
        session.exec(
            delete(ProcessLease).where(
                col(ProcessLease.name) == name, col(ProcessLease.holder) == holder
            )
        )
        session.commit()
