"""Left questions staff marked as needing a new FAQ entry (需要新增问答).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entryrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pending_id", sa.Integer(), nullable=False),
        sa.Column("marked_by", sa.BigInteger(), nullable=False),
        sa.Column("marked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["pending_id"], ["pendingquestion.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pending_id"),
    )
    with op.batch_alter_table("entryrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entryrequest_marked_at"), ["marked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entryrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entryrequest_marked_at"))
    op.drop_table("entryrequest")
