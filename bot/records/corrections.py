"""Corrections: a filed record is never changed; a correction is a new revision with a reason."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.records.daily import MAX_TEXT
from bot.records.models import DailyRecord, MonthlyMinutes, WeeklyReport

__all__ = ["correct"]

_MODELS: dict[str, type[DailyRecord] | type[WeeklyReport] | type[MonthlyMinutes]] = {
    "daily": DailyRecord,
    "weekly": WeeklyReport,
    "monthly": MonthlyMinutes,
}


def _latest(
    session: Session, kind: str, enterprise_id: int, when: date
) -> DailyRecord | WeeklyReport | MonthlyMinutes | None:
    if kind == "daily":
        return session.exec(
            select(DailyRecord)
            .where(DailyRecord.enterprise_id == enterprise_id, DailyRecord.day == when)
            .order_by(col(DailyRecord.revision).desc())
        ).first()
    if kind == "weekly":
        return session.exec(
            select(WeeklyReport)
            .where(WeeklyReport.enterprise_id == enterprise_id, WeeklyReport.period == when)
            .order_by(col(WeeklyReport.revision).desc())
        ).first()
    return session.exec(
        select(MonthlyMinutes)
        .where(MonthlyMinutes.enterprise_id == enterprise_id, MonthlyMinutes.period == when)
        .order_by(col(MonthlyMinutes.revision).desc())
    ).first()


def correct(
    session: Session,
    kind: str,
    enterprise_id: int,
    when: date,
    *,
    by: int,
    reason: str,
    note: str,
    now: datetime,
) -> tuple[DailyRecord | WeeklyReport | MonthlyMinutes | None, str]:
    """Append a correction to the record of that day (week, month); (the new row, error code)."""
    reason, note = reason.strip(), note.strip()
    if not reason or not note:
        return None, "empty"
    if len(reason) > 100 or len(note) > MAX_TEXT:
        return None, "too_long"
    latest = _latest(session, kind, enterprise_id, when)
    if latest is None:
        return None, "missing"
    values = latest.model_dump(
        exclude={"id", "revision", "reason", "note", "filed_by", "filed_at"}
    )
    row = _MODELS[kind].model_validate(
        {
            **values,
            "revision": latest.revision + 1,
            "reason": reason,
            "note": note,
            "filed_by": by,
            "filed_at": now,
        }
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # two corrections at once: the other one took this number
        session.rollback()
        return None, "stale"
    return row, ""
