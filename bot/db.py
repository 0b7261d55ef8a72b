"""The database engine: SQLite embedded by default, PostgreSQL by URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

__all__ = [
    "create_tables",
    "ensure_row",
    "is_postgres",
    "is_shared_connection",
    "make_engine",
    "session_scope",
    "unreachable_message",
]

M = TypeVar("M", bound=SQLModel)
SQLITE_BUSY_SECONDS = 30


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL and a busy timeout, its folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    database = parsed.database or ""
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
    }
    if database in ("", ":memory:"):
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        if database not in ("", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    if database not in ("", ":memory:"):
        _one_writer(engine)
    return engine


def _one_writer(engine: Engine) -> None:
    """Writers of this process take turns on a lock of ours instead of SQLite's busy handler.

    Database work runs in worker threads (bot.kit.context.run_db). SQLite lets one writer in at
    a time and makes the others poll with sleeps of up to 100 ms, which under a busy load costs
    more than the writes. A transaction takes this lock at its first statement that writes and
    gives it back when it ends; readers never wait for it (WAL). A thread holds it (sessions
    live in one thread); one that waits longer than SQLite would goes on without it and meets
    SQLite's own busy timeout.
    """
    lock = threading.RLock()
    held = threading.local()

    def take(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if getattr(held, "depth", 0):
            return
        if statement.lstrip()[:6].upper() in ("SELECT", "PRAGMA"):
            return
        if lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            held.depth = 1

    def give_back(*_args: Any) -> None:
        if getattr(held, "depth", 0):
            held.depth = 0
            lock.release()

    event.listen(engine, "commit", give_back)
    event.listen(engine, "rollback", give_back)
    event.listen(engine, "before_cursor_execute", take)
    event.listen(engine.pool, "checkin", give_back)


def is_shared_connection(engine: Engine) -> bool:
    """An in-memory SQLite database: one connection that every session shares (tests)."""
    return isinstance(engine.pool, StaticPool)


def is_postgres(engine: Engine) -> bool:
    """True when the engine talks to PostgreSQL (row locks, SKIP LOCKED)."""
    return engine.dialect.name == "postgresql"


def create_tables(engine: Engine) -> None:
    """Tests and the offline chat: make the models' tables; a new database is marked current.

    Only a database without tables is stamped with the latest revision: create_all never adds
    a column, so an older database is left to bot.schema.prepare (run, CLI, console).
    """
    from bot import models  # noqa: F401  (registers the tables on SQLModel.metadata)
    from bot.console import models as console_models  # noqa: F401  (sign-in links, sessions)
    from bot.records import models as records_models  # noqa: F401
    from bot.schema import stamp_head

    with engine.connect() as connection:
        fresh = not inspect(connection).get_table_names()
    SQLModel.metadata.create_all(engine)
    if fresh:
        stamp_head(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short-lived session per unit of work; rolled back if the work raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


def ensure_row(session: Session, row: M) -> M:
    """The stored row with row's primary key, inserted from row if absent (not committed).

    Two workers may handle a user's first two taps at once: INSERT .. ON CONFLICT DO NOTHING
    lets the second insert of the same key wait for the first and then read its row, where a
    plain add() would fail with a duplicate key.
    """
    model = type(row)
    table = model.__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.key) for c in table.columns}
    values = {name: value for name, value in values.items() if value is not None}
    dialect_insert = (
        pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    session.exec(dialect_insert(table).values(values).on_conflict_do_nothing())
    key = tuple(values[c.name] for c in table.primary_key.columns)
    stored = session.get(model, key if len(key) > 1 else key[0], populate_existing=True)
    assert stored is not None
    return stored


def unreachable_message(url: str, exc: BaseException) -> str:
    """One Chinese line for an unreachable database, naming DATABASE_URL (no password)."""
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    shown = make_url(url).render_as_string(hide_password=True)
    what = (
        "数据库文件所在的文件夹是否存在、可写"
        if make_url(url).get_backend_name() == "sqlite"
        else "数据库服务是否已启动，主机、端口、用户名、密码和库名是否正确"
    )
    return (
        f"错误：连接不上数据库（DATABASE_URL={shown}）：{cause[0] if cause else '未知原因'}。"
        f"请检查 DATABASE_URL 是否正确，以及{what}。运行时加 --debug 可看完整的出错信息。"
    )
