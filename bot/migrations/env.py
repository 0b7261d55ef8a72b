"""Alembic environment: bot/schema.py hands in the connection; the target is bot.models."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from bot import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.console import models as console_models  # noqa: F401  (sign-in links, sessions)
from bot.records import models as records_models  # noqa: F401  (日管控 records)

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through bot.schema (python -m bot db upgrade)")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters a table by copying it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
