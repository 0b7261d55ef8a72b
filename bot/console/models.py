"""The console's own tables: single-use sign-in links and browser sessions (hashed tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from bot.models import utcnow

__all__ = ["ConsoleLink", "ConsoleSession"]


class ConsoleLink(SQLModel, table=True):
    """A sign-in link: only the SHA-256 of its token is stored; used once, then dead."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_type=BigInteger, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the token, the table its SHA-256."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_type=BigInteger, index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
