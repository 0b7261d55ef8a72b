"""Left questions remember when staff were told about them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pendingquestion", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("pendingquestion", schema=None) as batch_op:
        batch_op.drop_column("notified_at")
