"""Migrations: they make exactly the models' schema, keep rows, and gate `run`."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from bot import models  # noqa: F401  (the tables the migrations must produce)
from bot.cli import main
from bot.console import models as console_models  # noqa: F401  (and the console's)
from bot.db import make_engine
from bot.models import User
from bot.records import models as records_models  # noqa: F401  (and the records')
from bot.schema import (
    FIRST_REVISION,
    SchemaOutdated,
    _config,
    _head_from_files,
    current_revision,
    head_revision,
    prepare,
    stamp_head,
    upgrade,
)


def schema_diffs(engine: Engine) -> list[object]:
    """What autogenerate would still change: nothing when migrations equal the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests run in CI (.ci/run sets it)")
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_make_exactly_the_models_schema_on_sqlite(sqlite_file: Engine) -> None:
    assert upgrade(sqlite_file) == (None, head_revision())
    assert schema_diffs(sqlite_file) == []
    assert current_revision(sqlite_file) == head_revision()


def test_migrations_make_exactly_the_models_schema_on_postgresql(pg_engine: Engine) -> None:
    upgrade(pg_engine)
    assert schema_diffs(pg_engine) == []
    assert current_revision(pg_engine) == head_revision()


def test_a_database_made_before_migrations_is_upgraded_with_its_rows(
    sqlite_file: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # As every version before migrations left it: the first revision's tables, no version row.
    with sqlite_file.begin() as connection:
        command.upgrade(_config(connection), FIRST_REVISION)
        connection.exec_driver_sql("DROP TABLE alembic_version")
    with Session(sqlite_file) as session:
        session.add(User(id=42, display_name="老王"))
        session.commit()
    with caplog.at_level(logging.INFO, logger="bot.schema"):
        prepare(sqlite_file)
    assert "Database schema" in caplog.text
    assert current_revision(sqlite_file) == head_revision()
    assert schema_diffs(sqlite_file) == []
    with Session(sqlite_file) as session:
        user = session.get(User, 42)
        assert user is not None and user.display_name == "老王"


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert _head_from_files() == ScriptDirectory.from_config(_config()).get_current_head()


def test_stamp_head_writes_what_alembic_reads(sqlite_file: Engine) -> None:
    stamp_head(sqlite_file)
    stamp_head(sqlite_file)  # again: still one row
    with sqlite_file.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1


def behind(engine: Engine) -> None:
    """A database an older version of the bot made: the first revision, with a row in it."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), FIRST_REVISION)
        connection.exec_driver_sql(
            'INSERT INTO "user" (id, display_name, blocked, first_seen,'
            " last_seen, roles) VALUES (1, 'x', false, now(), now(), '')"
        )


def test_postgresql_behind_the_code_is_refused_with_the_command(pg_engine: Engine) -> None:
    behind(pg_engine)
    with pytest.raises(SchemaOutdated, match="python -m bot db upgrade"):
        prepare(pg_engine)
    upgrade(pg_engine)
    prepare(pg_engine)  # current now: nothing to say


def test_an_empty_postgresql_is_created_at_start(pg_engine: Engine) -> None:
    prepare(pg_engine)
    assert current_revision(pg_engine) == head_revision()
    assert schema_diffs(pg_engine) == []


def start_together(engines: list[Engine]) -> list[BaseException | None]:
    """prepare() in one thread per engine, released at the same moment; each one's error."""
    gate = threading.Barrier(len(engines))
    errors: list[BaseException | None] = [None] * len(engines)

    def start(i: int) -> None:
        gate.wait()
        try:
            prepare(engines[i])
        except BaseException as exc:
            errors[i] = exc

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.parametrize("trial", range(3))
def test_workers_started_together_on_an_empty_postgresql_all_start(
    pg_engine: Engine, trial: int
) -> None:
    # One engine per worker, as separate processes have: no shared pool, no shared lock.
    url = pg_engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(3)]
    try:
        assert start_together(engines) == [None, None, None]
    finally:
        for engine in engines:
            engine.dispose()
    assert current_revision(pg_engine) == head_revision()
    assert schema_diffs(pg_engine) == []


def test_workers_started_together_on_a_new_sqlite_file_all_start(tmp_path: Path) -> None:
    engines = [make_engine(f"sqlite:///{tmp_path / 'bot.db'}") for _ in range(3)]
    try:
        assert start_together(engines) == [None, None, None]
        assert current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            engine.dispose()


def test_db_upgrade_and_current_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["db", "current"]) == 0
    assert "python -m bot db upgrade" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert head_revision() in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == f"{head_revision()}（最新）"


def test_run_on_an_outdated_postgresql_refuses_to_start(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    behind(pg_engine)
    url = pg_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "python -m bot db upgrade" in err
