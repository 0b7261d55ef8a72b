"""Tables of the records feature; times are UTC, days are Asia/Shanghai calendar days.

Records are append-only: a filed daily check, weekly report or monthly minutes is never
changed; a correction is a new row with revision > 0 and a reason.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models import utcnow

__all__ = [
    "Assignment",
    "Awaiting",
    "ChecklistVersion",
    "DailyDraft",
    "DailyRecord",
    "DayOff",
    "Enterprise",
    "EnterpriseDraft",
    "Invite",
    "Member",
    "MonthlyMinutes",
    "Problem",
    "RecordsChoice",
    "Reminder",
    "ReportDraft",
    "WeeklyReport",
]


def _tg_id(**kwargs: object) -> object:
    # Telegram ids exceed 32 bits; PostgreSQL needs BIGINT explicitly.
    return Field(sa_type=BigInteger, **kwargs)  # type: ignore[call-overload]


class Enterprise(SQLModel, table=True):
    """A food business that keeps its 日管控/周排查/月调度 records in the bot."""

    __tablename__ = "rec_enterprise"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    credit_code: str | None = Field(default=None, unique=True)  # 统一社会信用代码
    licence_no: str | None = Field(default=None, unique=True)  # JY/SC + 14 digits
    sector: str = Field(index=True)  # knowledge.checklists.SECTORS
    township: str = Field(index=True)
    check_time: str = "09:00"  # local time the 安全员 is asked for the day's check
    deadline: str = "18:00"  # local time by which the day's record is due
    closed_weekdays: str = ""  # "6" = closed on Sundays (0 = Monday)
    holidays_off: bool = True  # statutory public holidays are days off
    created_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow)


class Member(SQLModel, table=True):
    """A person's role in an enterprise; one person may serve several enterprises."""

    __tablename__ = "rec_member"
    __table_args__ = (UniqueConstraint("enterprise_id", "user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    role: str  # principal (主要负责人) | director (食品安全总监) | officer (食品安全员)
    active: bool = True
    joined_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    """A single-use join link for one role of one enterprise; it expires."""

    __tablename__ = "rec_invite"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(unique=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    role: str
    created_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    used_at: datetime | None = None


class EnterpriseDraft(SQLModel, table=True):
    """An enterprise being registered in chat: what was typed so far and the next step."""

    __tablename__ = "rec_enterprise_draft"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    step: str = "name"  # name | code | township | sector
    name: str = ""
    code: str = ""
    township: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class RecordsChoice(SQLModel, table=True):
    """Which of a person's enterprises their records commands act on."""

    __tablename__ = "rec_choice"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    enterprise_id: int = Field(foreign_key="rec_enterprise.id")


class Awaiting(SQLModel, table=True):
    """The one typed answer the bot waits for from a person (a problem's description …)."""

    __tablename__ = "rec_awaiting"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str  # daily (a draft's finding) | fix (a problem's fix note) | weekly | monthly
    target_id: int
    updated_at: datetime = Field(default_factory=utcnow)


class ChecklistVersion(SQLModel, table=True):
    """One version of an enterprise's 风险管控清单; every change makes a new version."""

    __tablename__ = "rec_checklist_version"
    __table_args__ = (UniqueConstraint("enterprise_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    number: int
    items: str = Field(sa_type=Text)  # JSON list of {key, area, text, cites}
    note: str = ""
    created_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow)


class DayOff(SQLModel, table=True):
    """A day the enterprise is closed: no daily record is expected."""

    __tablename__ = "rec_day_off"
    __table_args__ = (UniqueConstraint("enterprise_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    day: date
    created_by: int | None = _tg_id(default=None)  # type: ignore[assignment]


class DailyDraft(SQLModel, table=True):
    """The 安全员's check of one day while it is being filled in."""

    __tablename__ = "rec_daily_draft"
    __table_args__ = (UniqueConstraint("enterprise_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id")
    day: date
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    version_id: int = Field(foreign_key="rec_checklist_version.id")
    # JSON: {"marked": [item keys], "current": key|null, "step": ..., "findings": {key: {...}}}
    data: str = Field(default="{}", sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)


class DailyRecord(SQLModel, table=True):
    """《每日食品安全检查记录》: filed once per day; corrections are later revisions."""

    __tablename__ = "rec_daily"
    __table_args__ = (UniqueConstraint("enterprise_id", "day", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    day: date = Field(index=True)
    revision: int = 0
    version_id: int = Field(foreign_key="rec_checklist_version.id")
    zero_risk: bool  # 零风险报告: nothing found
    problems: int = 0
    note: str = Field(default="", sa_type=Text)
    reason: str = ""  # why a correction was filed
    filed_by: int = _tg_id()  # type: ignore[assignment]
    filed_at: datetime = Field(default_factory=utcnow, index=True)
    on_time: bool = True


class Problem(SQLModel, table=True):
    """A hazard found in a daily check; open until it is recorded as fixed."""

    __tablename__ = "rec_problem"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    record_id: int = Field(foreign_key="rec_daily.id", index=True)
    item_key: str
    item_text: str
    description: str = Field(sa_type=Text)
    measure: str = Field(default="", sa_type=Text)
    photo_file_id: str | None = None
    serious: bool = False
    opened_at: datetime = Field(default_factory=utcnow)
    fixed_at: datetime | None = Field(default=None, index=True)
    fixed_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    fix_note: str = Field(default="", sa_type=Text)


class Reminder(SQLModel, table=True):
    """A reminder or escalation claimed once per enterprise, kind and day (survives restarts)."""

    __tablename__ = "rec_reminder"
    __table_args__ = (UniqueConstraint("enterprise_id", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    kind: str  # daily | late | escalate | weekly | monthly
    day: date
    status: str = Field(default="pending", index=True)  # pending | queued | skipped
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")
    at: datetime = Field(default_factory=utcnow)


class ReportDraft(SQLModel, table=True):
    """A weekly report or monthly minutes being written: the figures and the typed parts."""

    __tablename__ = "rec_report_draft"
    __table_args__ = (UniqueConstraint("enterprise_id", "kind", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id")
    kind: str  # weekly | monthly
    period: date  # the Monday of the week, the first of the month
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    data: str = Field(default="{}", sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)


class _PeriodFigures(SQLModel):
    """What a weekly report and the monthly minutes both record about their period."""

    days_expected: int = 0
    days_checked: int = 0
    days_on_time: int = 0
    zero_risk_days: int = 0
    problems_found: int = 0
    problems_fixed: int = 0
    problems_open: int = 0


class WeeklyReport(_PeriodFigures, table=True):
    """《每周食品安全排查治理报告》 (总局令第60号第十二条); corrections are later revisions."""

    __tablename__ = "rec_weekly"
    __table_args__ = (UniqueConstraint("enterprise_id", "period", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    period: date = Field(index=True)  # the Monday of the week
    revision: int = 0
    analysis: str = Field(default="", sa_type=Text)
    decisions: str = Field(default="", sa_type=Text)
    note: str = Field(default="", sa_type=Text)  # a correction's content
    reason: str = ""
    filed_by: int = _tg_id()  # type: ignore[assignment]
    filed_at: datetime = Field(default_factory=utcnow)


class MonthlyMinutes(_PeriodFigures, table=True):
    """《每月食品安全调度会议纪要》 (总局令第60号第十三条); corrections are later revisions."""

    __tablename__ = "rec_monthly"
    __table_args__ = (UniqueConstraint("enterprise_id", "period", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="rec_enterprise.id", index=True)
    period: date = Field(index=True)  # the first of the month
    revision: int = 0
    weekly_reports: int = 0
    director_report: str = Field(default="", sa_type=Text)
    review: str = Field(default="", sa_type=Text)
    priorities: str = Field(default="", sa_type=Text)
    note: str = Field(default="", sa_type=Text)  # a correction's content
    reason: str = ""
    filed_by: int = _tg_id()  # type: ignore[assignment]
    filed_at: datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """包保: the inspector who looks after an enterprise (one per enterprise)."""

    __tablename__ = "rec_assignment"

    enterprise_id: int = Field(primary_key=True, foreign_key="rec_enterprise.id")
    inspector_id: int = _tg_id(index=True)  # type: ignore[assignment]
    assigned_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    assigned_at: datetime = Field(default_factory=utcnow)
