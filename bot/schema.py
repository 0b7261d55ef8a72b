"""The database schema, versioned by Alembic (bot/migrations/).

`python -m bot db upgrade` brings a database to the latest revision and `db current` shows
where it is. At start, `run` upgrades an embedded SQLite database itself (and logs it) and
creates the schema of an empty PostgreSQL database; a PostgreSQL database that holds data is
shared by workers and upgraded by the operator, so `run` refuses to start on an outdated one
and prints the command. Creation and upgrades hold a database lock (bot.dblock): workers
started together wait for the first one instead of racing it. create_all is left to tests and
the offline chat. A database made by create_all before migrations existed holds exactly the first
revision's tables: it is stamped with that revision, then upgraded.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine

from bot.dblock import exclusive

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "UPGRADE_COMMAND",
    "SchemaOutdated",
    "current_revision",
    "head_revision",
    "prepare",
    "stamp_head",
    "upgrade",
]

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"
UPGRADE_COMMAND = "python -m bot db upgrade"


class SchemaOutdated(Exception):
    """The database is behind the code and must be upgraded by the operator."""


# `revision = "0005"` / `down_revision = "0004"` (or a tuple of them for a merge)
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.M)


def _config(connection: Connection | None = None) -> Config:
    # Alembic (~0.3 s, ~14 MB) loads only when the schema must change or the files are unusual.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _head_from_files() -> str | None:
    """The one revision no other revision builds on, read from the files; None if unclear."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = {m.group(1): m.group(2) for m in _REVISION.finditer(source)}
        if "revision" not in found:
            continue
        revisions.update(re.findall(r"[\"']([^\"']+)[\"']", found["revision"]))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", found.get("down_revision", "")))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str:
    """The latest revision the code knows."""
    from alembic.script import ScriptDirectory

    head = _head_from_files() or ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _stored_revision(engine: Engine) -> str | None:
    """alembic_version read with one query (no Alembic import); None when there is none."""
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return rows[0][0] if len(rows) == 1 else None


def _made_before_migrations(connection: Connection) -> bool:
    tables = set(inspect(connection).get_table_names())
    return "alembic_version" not in tables and "user" in tables


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for an empty database (or one made before migrations)."""
    with engine.connect() as connection:
        return _revision(connection)


SCHEMA_LOCK = "schema"


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the latest revision; (revision before, revision after)."""
    with exclusive(engine, SCHEMA_LOCK):
        return _upgrade(engine)


def _upgrade(engine: Engine) -> tuple[str | None, str]:
    with engine.begin() as connection:
        before = _revision(connection)
        from alembic import command

        config = _config(connection)
        if before is None and _made_before_migrations(connection):
            command.stamp(config, FIRST_REVISION)
            before = FIRST_REVISION
        command.upgrade(config, "head")
        return before, _revision(connection) or ""


def stamp_head(engine: Engine) -> None:
    """Mark the database as at the latest revision (its tables were just made from the models)."""
    head = _head_from_files()
    if head is None:
        from alembic import command

        with engine.begin() as connection:
            command.stamp(_config(connection), "head")
        return
    # The table Alembic's stamp writes, without loading Alembic (every offline chat does this).
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    with engine.begin() as connection:
        version.create(connection, checkfirst=True)
        connection.execute(version.delete())
        connection.execute(version.insert().values(version_num=head))


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


def prepare(engine: Engine) -> None:
    """Before the bot works on a database: SQLite is upgraded, PostgreSQL created or current."""
    head = _head_from_files()
    # The usual start: the database is current, known without loading Alembic.
    if head is not None and _stored_revision(engine) == head:
        return
    head = head_revision()
    if current_revision(engine) == head:
        return
    with exclusive(engine, SCHEMA_LOCK):
        _prepare_locked(engine, head)


def _prepare_locked(engine: Engine, head: str) -> None:
    current = current_revision(engine)  # again: another worker may have just done it
    if current == head:
        return
    if engine.dialect.name == "sqlite" or _is_empty(engine):
        before, after = _upgrade(engine)
        if before == after:
            logger.info("Database schema marked as revision %s (made before migrations)", after)
        else:
            logger.info("Database schema upgraded from %s to %s", before or "empty", after)
        return
    raise SchemaOutdated(
        f"数据库结构不是最新版本（当前 {current or '无'}，需要 {head}）。"
        f"请先运行：{UPGRADE_COMMAND}"
    )
