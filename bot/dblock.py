"""One process at a time for start-up work: schema creation, migration, seeding.

PostgreSQL: a session-level advisory lock on its own connection. SQLite file: an flock on a
file next to the database (SQLite has no named locks, and holding its write lock on another
connection would block the migration itself). An in-memory database has one process anyway.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["exclusive"]


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock called name on this database until the block ends (waits for it)."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, zlib.crc32(name.encode())):
            yield
        return
    database = engine.url.database or ""
    if database in ("", ":memory:"):
        yield
        return
    path = Path(database).expanduser().with_name(f"{Path(database).name}.{name}.lock")
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory(engine: Engine, key: int) -> Iterator[None]:
    # AUTOCOMMIT: the lock belongs to the session, not to a transaction left open meanwhile.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
