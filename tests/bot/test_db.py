from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from bot.cli import main
from bot.db import create_tables, ensure_row, is_postgres, make_engine, session_scope
from bot.models import Subscription, User
from bot.staff.roles import grant_role, revoke_role
from bot.tips.subscriptions import set_topic
from bot.users import Roles, mark_blocked, set_business_type, upsert_user


def test_sqlite_file_gets_its_folder_wal_and_busy_timeout(tmp_path) -> None:
    path = tmp_path / "nested" / "dir" / "bot.db"
    engine = make_engine(f"sqlite:///{path}")
    create_tables(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert path.exists()
    engine.dispose()


def test_user_upsert_business_type_roles_and_block(engine) -> None:
    with session_scope(engine) as session:
        user = upsert_user(session, user_id=5_000_000_001, display_name="王<老板>", username=None)
        assert user.first_seen == user.last_seen
        assert set_business_type(session, user_id=user.id, business_type="catering") is not None
        assert set_business_type(session, user_id=user.id, business_type="bakery") is None
        assert grant_role(session, actor_id=1, user_id=user.id) == "granted"
        assert grant_role(session, actor_id=1, user_id=user.id) == "already"
        assert grant_role(session, actor_id=1, user_id=42) == "unknown"  # never talked to the bot
        roles = Roles(frozenset({1}), frozenset())
        assert roles.is_inspector(session, user.id)
        assert revoke_role(session, actor_id=1, user_id=user.id)
        assert not revoke_role(session, actor_id=1, user_id=user.id)
        assert not roles.is_inspector(session, user.id)
        mark_blocked(session, user_id=user.id)
    with Session(engine) as session:
        row = session.get(User, 5_000_000_001)
        assert row is not None
        assert (row.display_name, row.business_type, row.roles, row.blocked) == (
            "王<老板>",
            "catering",
            "",
            True,
        )


def test_postgresql_engine_creates_every_table(pg_url: str) -> None:
    engine = make_engine(pg_url)
    assert is_postgres(engine)
    SQLModel.metadata.drop_all(engine)
    create_tables(engine)
    with session_scope(engine) as session:
        upsert_user(session, user_id=9_999_999_999, display_name="大号", username="big")
    with Session(engine) as session:
        row = session.get(User, 9_999_999_999)
        assert row is not None
        assert row.username == "big"
    engine.dispose()


# --- first rows: two workers handle a new user's first two taps at once -----------------------


def first_taps_together(engine: Engine, work: Callable[[Session, int], object], users: int) -> int:
    """Run work(session, user) twice per user, the two at the same moment; how many raised."""
    failures = 0

    def tap(user: int, gate: threading.Barrier) -> None:
        nonlocal failures
        with session_scope(engine) as session:
            gate.wait()
            try:
                work(session, user)
            except Exception:
                failures += 1

    for user in range(users):
        gate = threading.Barrier(2)
        threads = [threading.Thread(target=tap, args=(7_000_000 + user, gate)) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return failures


def first_tap(session: Session, user: int) -> None:
    upsert_user(session, user_id=user, display_name=f"用户{user}", username=None)
    set_topic(session, user_id=user, topic="tips", active=True)


def check_first_taps(engine: Engine) -> None:
    assert first_taps_together(engine, first_tap, users=20) == 0
    with Session(engine) as session:
        assert len(session.exec(select(User)).all()) == 20
        assert len(session.exec(select(Subscription)).all()) == 20


def test_concurrent_first_taps_of_new_users_on_a_sqlite_file(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    create_tables(engine)
    check_first_taps(engine)
    engine.dispose()


@pytest.mark.postgres
def test_concurrent_first_taps_of_new_users_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)
    SQLModel.metadata.drop_all(engine)
    create_tables(engine)
    try:
        check_first_taps(engine)
    finally:
        SQLModel.metadata.drop_all(engine)
        engine.dispose()


def test_ensure_row_returns_the_stored_row_and_keeps_it(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = ensure_row(session, User(id=5, display_name="甲"))
        again = ensure_row(session, User(id=5, display_name="乙"))
        session.commit()
    assert (first.display_name, again.display_name) == ("甲", "甲")


def test_run_with_the_database_unreachable_says_what_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:pw-9876@127.0.0.1:{closed}/shian")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:" + "A" * 35)
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"错误：连接不上数据库（DATABASE_URL=postgresql://bot:***@127.0.0.1:{closed}"
    )
    assert "请检查 DATABASE_URL 是否正确" in err and "数据库服务是否已启动" in err
    assert err.count("\n") == 1 and "Traceback" not in err and "pw-9876" not in err
    assert main(["run", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
