"""日管控、周排查、月调度: enterprises, their people, checklists, records, problems, reminders.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rec_awaiting",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "rec_enterprise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("credit_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("licence_no", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("township", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("check_time", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("deadline", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("closed_weekdays", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holidays_off", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_code"),
        sa.UniqueConstraint("licence_no"),
    )
    with op.batch_alter_table("rec_enterprise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rec_enterprise_sector"), ["sector"], unique=False)
        batch_op.create_index(batch_op.f("ix_rec_enterprise_township"), ["township"], unique=False)

    op.create_table(
        "rec_enterprise_draft",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("township", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "rec_assignment",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_by", sa.BigInteger(), nullable=True),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("enterprise_id"),
    )
    with op.batch_alter_table("rec_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_assignment_inspector_id"), ["inspector_id"], unique=False
        )

    op.create_table(
        "rec_checklist_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "number"),
    )
    with op.batch_alter_table("rec_checklist_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_checklist_version_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "rec_choice",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "rec_day_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "day"),
    )
    with op.batch_alter_table("rec_day_off", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_day_off_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "rec_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("rec_invite", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_invite_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "rec_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "user_id", "role"),
    )
    with op.batch_alter_table("rec_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_member_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rec_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "rec_monthly",
        sa.Column("days_expected", sa.Integer(), nullable=False),
        sa.Column("days_checked", sa.Integer(), nullable=False),
        sa.Column("days_on_time", sa.Integer(), nullable=False),
        sa.Column("zero_risk_days", sa.Integer(), nullable=False),
        sa.Column("problems_found", sa.Integer(), nullable=False),
        sa.Column("problems_fixed", sa.Integer(), nullable=False),
        sa.Column("problems_open", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("weekly_reports", sa.Integer(), nullable=False),
        sa.Column("director_report", sa.Text(), nullable=False),
        sa.Column("review", sa.Text(), nullable=False),
        sa.Column("priorities", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("filed_by", sa.BigInteger(), nullable=False),
        sa.Column("filed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "period", "revision"),
    )
    with op.batch_alter_table("rec_monthly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_monthly_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rec_monthly_period"), ["period"], unique=False)

    op.create_table(
        "rec_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcast.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "kind", "day"),
    )
    with op.batch_alter_table("rec_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_reminder_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rec_reminder_status"), ["status"], unique=False)

    op.create_table(
        "rec_report_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "kind", "period"),
    )
    with op.batch_alter_table("rec_report_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rec_report_draft_user_id"), ["user_id"], unique=False)

    op.create_table(
        "rec_weekly",
        sa.Column("days_expected", sa.Integer(), nullable=False),
        sa.Column("days_checked", sa.Integer(), nullable=False),
        sa.Column("days_on_time", sa.Integer(), nullable=False),
        sa.Column("zero_risk_days", sa.Integer(), nullable=False),
        sa.Column("problems_found", sa.Integer(), nullable=False),
        sa.Column("problems_fixed", sa.Integer(), nullable=False),
        sa.Column("problems_open", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("filed_by", sa.BigInteger(), nullable=False),
        sa.Column("filed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "period", "revision"),
    )
    with op.batch_alter_table("rec_weekly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_weekly_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rec_weekly_period"), ["period"], unique=False)

    op.create_table(
        "rec_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("zero_risk", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("filed_by", sa.BigInteger(), nullable=False),
        sa.Column("filed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["rec_checklist_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "day", "revision"),
    )
    with op.batch_alter_table("rec_daily", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rec_daily_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rec_daily_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rec_daily_filed_at"), ["filed_at"], unique=False)

    op.create_table(
        "rec_daily_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["rec_checklist_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "day"),
    )
    with op.batch_alter_table("rec_daily_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rec_daily_draft_user_id"), ["user_id"], unique=False)

    op.create_table(
        "rec_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("item_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("photo_file_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("fixed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("fixed_by", sa.BigInteger(), nullable=True),
        sa.Column("fix_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["rec_enterprise.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["rec_daily.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rec_problem", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rec_problem_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rec_problem_fixed_at"), ["fixed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rec_problem_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rec_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_problem_record_id"))
        batch_op.drop_index(batch_op.f("ix_rec_problem_fixed_at"))
        batch_op.drop_index(batch_op.f("ix_rec_problem_enterprise_id"))

    op.drop_table("rec_problem")
    with op.batch_alter_table("rec_daily_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_daily_draft_user_id"))

    op.drop_table("rec_daily_draft")
    with op.batch_alter_table("rec_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_daily_filed_at"))
        batch_op.drop_index(batch_op.f("ix_rec_daily_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_rec_daily_day"))

    op.drop_table("rec_daily")
    with op.batch_alter_table("rec_weekly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_weekly_period"))
        batch_op.drop_index(batch_op.f("ix_rec_weekly_enterprise_id"))

    op.drop_table("rec_weekly")
    with op.batch_alter_table("rec_report_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_report_draft_user_id"))

    op.drop_table("rec_report_draft")
    with op.batch_alter_table("rec_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_reminder_status"))
        batch_op.drop_index(batch_op.f("ix_rec_reminder_enterprise_id"))

    op.drop_table("rec_reminder")
    with op.batch_alter_table("rec_monthly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_monthly_period"))
        batch_op.drop_index(batch_op.f("ix_rec_monthly_enterprise_id"))

    op.drop_table("rec_monthly")
    with op.batch_alter_table("rec_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_rec_member_enterprise_id"))

    op.drop_table("rec_member")
    with op.batch_alter_table("rec_invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_invite_enterprise_id"))

    op.drop_table("rec_invite")
    with op.batch_alter_table("rec_day_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_day_off_enterprise_id"))

    op.drop_table("rec_day_off")
    op.drop_table("rec_choice")
    with op.batch_alter_table("rec_checklist_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_checklist_version_enterprise_id"))

    op.drop_table("rec_checklist_version")
    with op.batch_alter_table("rec_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_assignment_inspector_id"))

    op.drop_table("rec_assignment")
    op.drop_table("rec_enterprise_draft")
    with op.batch_alter_table("rec_enterprise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rec_enterprise_township"))
        batch_op.drop_index(batch_op.f("ix_rec_enterprise_sector"))

    op.drop_table("rec_enterprise")
    op.drop_table("rec_awaiting")
