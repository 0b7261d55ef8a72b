"""包保: inspectors are assigned enterprises and get a weekly digest, worst first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.models import as_utc
from bot.records.coverage import expected_days
from bot.records.models import Assignment, DailyRecord, DayOff, Enterprise, Problem, WeeklyReport
from bot.records.reports import week_start

__all__ = ["DigestRow", "assign", "assigned_inspectors", "digest", "digest_week"]


def assign(
    session: Session, enterprise_id: int, inspector_id: int, *, by: int
) -> Enterprise | None:
    """Make the inspector responsible for the enterprise (replacing any earlier one)."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        return None
    row = session.get(Assignment, enterprise_id) or Assignment(
        enterprise_id=enterprise_id, inspector_id=inspector_id
    )
    row.inspector_id, row.assigned_by = inspector_id, by
    session.add(row)
    session.commit()
    return enterprise


def assigned_inspectors(session: Session) -> list[int]:
    """Every inspector who has at least one enterprise."""
    return list(session.exec(select(Assignment.inspector_id).distinct()).all())


@dataclass(frozen=True, slots=True)
class DigestRow:
    """One assigned enterprise over the last week, with how urgently it needs a visit."""

    enterprise: Enterprise
    expected: int
    checked: int
    open_problems: int
    serious_open: int
    oldest_open_days: int
    weekly_done: bool

    @property
    def missed(self) -> int:
        """Days without a record that were due."""
        return max(self.expected - self.checked, 0)

    @property
    def urgency(self) -> int:
        """Serious open problems first, then old problems, missed days, no weekly report."""
        return (
            self.serious_open * 100
            + self.open_problems * 10
            + self.oldest_open_days
            + self.missed * 5
            + (0 if self.weekly_done else 3)
        )


def digest(session: Session, inspector_id: int, *, now: datetime, tz: ZoneInfo) -> list[DigestRow]:
    """The inspector's enterprises over the last full week, the ones needing a visit first."""
    today = as_utc(now).astimezone(tz).date()
    monday = week_start(today) - timedelta(days=7)
    sunday = monday + timedelta(days=6)
    enterprises = session.exec(
        select(Enterprise)
        .join(Assignment, col(Assignment.enterprise_id) == col(Enterprise.id))
        .where(Assignment.inspector_id == inspector_id)
        .order_by(col(Enterprise.id))
    ).all()
    rows = []
    for e in enterprises:
        closed = set(
            session.exec(
                select(col(DayOff.day)).where(
                    DayOff.enterprise_id == e.id,
                    col(DayOff.day) >= monday,
                    col(DayOff.day) <= sunday,
                )
            ).all()
        )
        due = expected_days(e, monday, sunday, closed, tz)
        checked = session.exec(
            select(func.count())
            .select_from(DailyRecord)
            .where(
                DailyRecord.enterprise_id == e.id,
                DailyRecord.revision == 0,
                col(DailyRecord.day).in_(due),
            )
        ).one()
        problems = session.exec(
            select(Problem).where(Problem.enterprise_id == e.id, col(Problem.fixed_at).is_(None))
        ).all()
        oldest = min((as_utc(p.opened_at) for p in problems), default=None)
        weekly = session.exec(
            select(WeeklyReport.id).where(
                WeeklyReport.enterprise_id == e.id, WeeklyReport.period == monday
            )
        ).first()
        rows.append(
            DigestRow(
                enterprise=e,
                expected=len(due),
                checked=int(checked),
                open_problems=len(problems),
                serious_open=sum(1 for p in problems if p.serious),
                oldest_open_days=(now - oldest).days if oldest else 0,
                weekly_done=weekly is not None,
            )
        )
    return sorted(rows, key=lambda r: (-r.urgency, r.enterprise.id or 0))


def digest_week(now: datetime, tz: ZoneInfo) -> date:
    """The Monday of the week a digest sent now covers."""
    return week_start(as_utc(now).astimezone(tz).date()) - timedelta(days=7)
