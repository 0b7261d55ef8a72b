"""Every SQLModel table. The database is the bot's only state; times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (SQLite drops tzinfo; see as_utc)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive datetime read back from SQLite."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _tg_id(**kwargs: object) -> object:
    # Telegram ids exceed 32 bits; PostgreSQL needs BIGINT explicitly.
    return Field(sa_type=BigInteger, **kwargs)  # type: ignore[call-overload]


# --- foundation -----------------------------------------------------------------------------


class User(SQLModel, table=True):
    """A Telegram user who has talked to the bot."""

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    display_name: str = ""
    username: str | None = None
    business_type: str | None = None
    roles: str = ""  # comma-separated roles granted in chat, e.g. "inspector"
    blocked: bool = False
    township: str | None = None
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)

    def role_set(self) -> set[str]:
        """The granted roles as a set."""
        return {r for r in self.roles.split(",") if r}


class AuditLog(SQLModel, table=True):
    """Who did what and when, for every staff action."""

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = _tg_id(index=True)  # type: ignore[assignment]
    action: str = Field(index=True)
    detail: str = Field(default="", sa_type=Text)  # type: ignore[call-overload]
    at: datetime = Field(default_factory=utcnow, index=True)


# --- guidance (政策问答) ---------------------------------------------------------------------


class Statute(SQLModel, table=True):
    """One imported version of an official text; re-importing replaces its articles."""

    __table_args__ = (UniqueConstraint("source_key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(index=True)
    title: str
    version: str
    effective: date | None = None
    article_count: int = 0
    imported_at: datetime = Field(default_factory=utcnow)


class StatuteArticle(SQLModel, table=True):
    """One article of an imported statute."""

    __table_args__ = (UniqueConstraint("statute_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    statute_id: int = Field(foreign_key="statute.id", index=True, ondelete="CASCADE")
    number: int
    chapter: str = ""
    text: str = Field(sa_type=Text)  # type: ignore[call-overload]


class QuestionLog(SQLModel, table=True):
    """Every question asked, with what the bot did about it."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    text: str = Field(sa_type=Text)  # type: ignore[call-overload]
    outcome: str = Field(index=True)  # answered | suggested | none
    entry_id: str | None = Field(default=None, index=True)
    topic: str | None = None
    score: float = 0.0
    business_type: str | None = None
    at: datetime = Field(default_factory=utcnow, index=True)


class Feedback(SQLModel, table=True):
    """有用 / 没解决 on one answer, once per asker (the last press counts)."""

    __table_args__ = (UniqueConstraint("log_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    log_id: int = Field(foreign_key="questionlog.id", index=True)
    user_id: int = _tg_id()  # type: ignore[assignment]
    helpful: bool
    at: datetime = Field(default_factory=utcnow)


class PendingQuestion(SQLModel, table=True):
    """A question left for staff; answered or dismissed by an admin."""

    id: int | None = Field(default=None, primary_key=True)
    log_id: int | None = Field(default=None, foreign_key="questionlog.id", unique=True)
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    chat_id: int = _tg_id()  # type: ignore[assignment]
    text: str = Field(sa_type=Text)  # type: ignore[call-overload]
    status: str = Field(default="open", index=True)  # open | answered | dismissed
    created_at: datetime = Field(default_factory=utcnow)
    handled_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    answer: str | None = Field(default=None, sa_type=Text)  # type: ignore[call-overload]
    handled_at: datetime | None = None
