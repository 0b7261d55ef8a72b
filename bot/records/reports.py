"""周排查 and 月调度: the week's summary becomes the weekly report, the month's the minutes.

A report is drafted as a row (the figures, then each typed part), confirmed once, and never
changed afterwards; a correction is a later revision with a reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.models import utcnow
from bot.records.daily import MAX_TEXT, day_off_reason
from bot.records.models import (
    Awaiting,
    DailyRecord,
    Enterprise,
    MonthlyMinutes,
    Problem,
    ReportDraft,
    WeeklyReport,
)

__all__ = [
    "AUTHORS",
    "FIELDS",
    "MAX_TEXT",
    "Summary",
    "confirm",
    "draft_for",
    "filed_report",
    "month_start",
    "parse_month",
    "period_end",
    "period_to_report",
    "report_text",
    "start_report",
    "summarize",
    "week_start",
]

# who drafts and confirms each kind (总局令第60号第十二条、第十三条)
AUTHORS = {"weekly": {"director", "officer"}, "monthly": {"principal"}}
# the typed parts of each kind, in the order they are asked
FIELDS = {
    "weekly": ("analysis", "decisions"),
    "monthly": ("director_report", "review", "priorities"),
}


def week_start(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def parse_month(text: str) -> date | None:
    """`YYYY-MM` as the first day of that month, or None."""
    try:
        year, month = (int(p) for p in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def month_start(day: date) -> date:
    """The first day of the day's month."""
    return day.replace(day=1)


def period_end(kind: str, start: date) -> date:
    """The last day of a week or a month."""
    if kind == "weekly":
        return start + timedelta(days=6)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _model(kind: str) -> type[WeeklyReport] | type[MonthlyMinutes]:
    return WeeklyReport if kind == "weekly" else MonthlyMinutes


def filed_report(
    session: Session, kind: str, enterprise_id: int, start: date
) -> WeeklyReport | MonthlyMinutes | None:
    """The period's report as first filed (revision 0)."""
    if kind == "weekly":
        return session.exec(
            select(WeeklyReport).where(
                WeeklyReport.enterprise_id == enterprise_id,
                WeeklyReport.period == start,
                WeeklyReport.revision == 0,
            )
        ).first()
    return session.exec(
        select(MonthlyMinutes).where(
            MonthlyMinutes.enterprise_id == enterprise_id,
            MonthlyMinutes.period == start,
            MonthlyMinutes.revision == 0,
        )
    ).first()


def period_to_report(session: Session, kind: str, enterprise_id: int, today: date) -> date:
    """The last finished week (month) while it has no report; afterwards the current one."""
    current = week_start(today) if kind == "weekly" else month_start(today)
    previous = (
        current - timedelta(days=7) if kind == "weekly" else month_start(current - timedelta(1))
    )
    if filed_report(session, kind, enterprise_id, previous) is None:
        return previous
    return current


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures a report starts from."""

    start: str
    end: str
    days_expected: int
    days_checked: int
    days_on_time: int
    zero_risk_days: int
    problems_found: int
    problems_fixed: int
    problems_open: int
    weekly_reports: int


def summarize(
    session: Session, enterprise: Enterprise, kind: str, start: date, *, today: date
) -> Summary:
    """Days checked, on time, problems found and still open in the period (up to today)."""
    assert enterprise.id is not None
    end = period_end(kind, start)
    last = min(end, today)
    first = max(start, enterprise.created_at.date())
    expected = sum(
        1
        for n in range((last - first).days + 1)
        if day_off_reason(session, enterprise, first + timedelta(days=n)) is None
    )
    records = session.exec(
        select(DailyRecord).where(
            DailyRecord.enterprise_id == enterprise.id,
            DailyRecord.revision == 0,
            col(DailyRecord.day) >= start,
            col(DailyRecord.day) <= end,
        )
    ).all()
    problems = session.exec(
        select(Problem)
        .join(DailyRecord, col(DailyRecord.id) == col(Problem.record_id))
        .where(
            Problem.enterprise_id == enterprise.id,
            col(DailyRecord.day) >= start,
            col(DailyRecord.day) <= end,
        )
    ).all()
    still_open = session.exec(
        select(func.count())
        .select_from(Problem)
        .where(Problem.enterprise_id == enterprise.id, col(Problem.fixed_at).is_(None))
    ).one()
    weekly = 0
    if kind == "monthly":
        weekly = session.exec(
            select(func.count())
            .select_from(WeeklyReport)
            .where(
                WeeklyReport.enterprise_id == enterprise.id,
                WeeklyReport.revision == 0,
                col(WeeklyReport.period) >= start - timedelta(days=6),
                col(WeeklyReport.period) <= end,
            )
        ).one()
    return Summary(
        start=start.isoformat(),
        end=end.isoformat(),
        days_expected=expected,
        days_checked=len(records),
        days_on_time=sum(1 for r in records if r.on_time),
        zero_risk_days=sum(1 for r in records if r.zero_risk),
        problems_found=len(problems),
        problems_fixed=sum(1 for p in problems if p.fixed_at is not None),
        problems_open=int(still_open),
        weekly_reports=int(weekly),
    )


@dataclass
class Draft:
    """A report being written: its row, figures, typed parts and the part asked next."""

    row: ReportDraft
    summary: Summary
    parts: dict[str, str]

    @property
    def next_field(self) -> str | None:
        """The part still to be typed, or None when only confirmation is left."""
        return next((f for f in FIELDS[self.row.kind] if not self.parts.get(f)), None)


def _load(row: ReportDraft) -> Draft:
    data = json.loads(row.data)
    return Draft(row, Summary(**data["summary"]), dict(data.get("parts", {})))


def _save(session: Session, draft: Draft) -> None:
    draft.row.data = json.dumps(
        {"summary": asdict(draft.summary), "parts": draft.parts}, ensure_ascii=False
    )
    draft.row.updated_at = utcnow()
    session.add(draft.row)
    assert draft.row.id is not None
    awaiting = session.get(Awaiting, draft.row.user_id)
    if draft.next_field is not None:
        awaiting = awaiting or Awaiting(user_id=draft.row.user_id, kind="report", target_id=0)
        awaiting.kind, awaiting.target_id, awaiting.updated_at = "report", draft.row.id, utcnow()
        session.add(awaiting)
    elif awaiting is not None and awaiting.kind == "report":
        session.delete(awaiting)
    session.commit()


def start_report(
    session: Session, enterprise: Enterprise, kind: str, user: int, *, today: date
) -> Draft | WeeklyReport | MonthlyMinutes:
    """A fresh draft with the period's figures; the filed report if the period is done."""
    assert enterprise.id is not None
    start = period_to_report(session, kind, enterprise.id, today)
    filed = filed_report(session, kind, enterprise.id, start)
    if filed is not None:
        return filed
    row = session.exec(
        select(ReportDraft).where(
            ReportDraft.enterprise_id == enterprise.id,
            ReportDraft.kind == kind,
            ReportDraft.period == start,
        )
    ).first()
    if row is None:
        row = ReportDraft(enterprise_id=enterprise.id, kind=kind, period=start, user_id=user)
        session.add(row)
    row.user_id = user
    summary = summarize(session, enterprise, kind, start, today=today)
    draft = Draft(row, summary, {})
    session.flush()
    _save(session, draft)
    return draft


def draft_for(session: Session, draft_id: int, user: int) -> Draft | None:
    """The draft a button or an awaited answer names, if it is this person's."""
    row = session.get(ReportDraft, draft_id)
    if row is None or row.user_id != user:
        return None
    return _load(row)


def report_text(session: Session, draft: Draft, text: str) -> str:
    """Store the next typed part; an error code ('empty', 'too_long', 'stale') or ''."""
    text = text.strip()
    field = draft.next_field
    if field is None:
        return "stale"
    if not text:
        return "empty"
    if len(text) > MAX_TEXT * 2:
        return "too_long"
    draft.parts[field] = text
    _save(session, draft)
    return ""


def confirm(
    session: Session, draft: Draft, *, now: datetime
) -> tuple[WeeklyReport | MonthlyMinutes | None, bool]:
    """File the report once; (the report, whether this call filed it)."""
    row = draft.row
    if draft.next_field is not None:
        return None, False
    existing = filed_report(session, row.kind, row.enterprise_id, row.period)
    if existing is not None:
        return existing, False
    values: dict[str, Any] = asdict(draft.summary)
    for key in ("start", "end"):
        values.pop(key)
    if row.kind == "weekly":
        values.pop("weekly_reports")
    values.update(draft.parts)
    report = _model(row.kind).model_validate(
        {
            **values,
            "enterprise_id": row.enterprise_id,
            "period": row.period,
            "filed_by": row.user_id,
            "filed_at": now,
        }
    )
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return filed_report(session, row.kind, row.enterprise_id, row.period), False
    awaiting = session.get(Awaiting, row.user_id)
    if awaiting is not None and awaiting.kind == "report" and awaiting.target_id == row.id:
        session.delete(awaiting)
    session.delete(row)
    session.commit()
    return report, True
