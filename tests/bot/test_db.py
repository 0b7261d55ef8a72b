from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, SQLModel

from bot.db import create_tables, is_postgres, make_engine, session_scope
from bot.models import User
from bot.staff.roles import grant_role, revoke_role
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
