"""Which reminders are due: claimed as rows (one per enterprise, kind and day) before sending.

The claim is an insert under a unique key, so a restart or a second worker never claims the
same reminder twice; a claimed reminder waits as 'pending' until a broadcast carries it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.db import is_postgres
from bot.records.daily import check_at, day_off_reason, deadline_at, local_day
from bot.records.enterprises import people_by_enterprise
from bot.records.models import (
    DailyRecord,
    DayOff,
    Enterprise,
    MonthlyMinutes,
    Reminder,
    WeeklyReport,
)

__all__ = ["ESCALATE_AFTER", "Batch", "claim_due", "mark_queued", "pending_batches"]

ESCALATE_AFTER = timedelta(hours=2)  # after the deadline, the 总监 is told
# The officer's reminders in order: when a later one is due, the earlier one is not sent.
_OFFICER_KINDS = ("daily", "late")


def _insert_ignore(session: Session) -> Any:
    return pg_insert if is_postgres(session.get_bind()) else sqlite_insert  # type: ignore[arg-type]


def _due_kinds(enterprise: Enterprise, day: date, now: datetime, tz: ZoneInfo) -> list[str]:
    deadline = deadline_at(enterprise, day, tz)
    kinds = []
    if now >= check_at(enterprise, day, tz):
        kinds.append("daily")
    if now >= deadline:
        kinds.append("late")
    if now >= deadline + ESCALATE_AFTER:
        kinds.append("escalate")
    return kinds


def claim_due(session: Session, *, now: datetime, tz: ZoneInfo) -> int:
    """Claim every reminder due now (today's, and yesterday's escalations); how many."""
    today = local_day(now, tz)
    yesterday = today - timedelta(days=1)
    filed = set(
        session.exec(
            select(col(DailyRecord.enterprise_id), col(DailyRecord.day)).where(
                col(DailyRecord.day).in_([today, yesterday]), DailyRecord.revision == 0
            )
        ).all()
    )
    claimed = set(
        session.exec(
            select(col(Reminder.enterprise_id), col(Reminder.kind), col(Reminder.day)).where(
                col(Reminder.day).in_([today, yesterday])
            )
        ).all()
    )
    closed: dict[int, set[date]] = defaultdict(set)
    for off_id, off_day in session.exec(
        select(col(DayOff.enterprise_id), col(DayOff.day)).where(
            col(DayOff.day).in_([today, yesterday])
        )
    ).all():
        closed[off_id].add(off_day)
    rows: list[dict[str, Any]] = []
    enterprises = list(session.exec(select(Enterprise)).all())
    rows += _claim_periodic(session, enterprises, today, now, tz, claimed)
    for enterprise in enterprises:
        eid = enterprise.id
        joined = local_day(enterprise.created_at, tz)
        for day in (today, yesterday):
            if (eid, day) in filed or day < joined:
                continue
            kinds = _due_kinds(enterprise, day, now, tz)
            if day == yesterday:
                kinds = [k for k in kinds if k == "escalate"]
            kinds = [k for k in kinds if (eid, k, day) not in claimed]
            if not kinds or day_off_reason(session, enterprise, day, closed[eid or 0]):
                continue
            latest = [k for k in kinds if k in _OFFICER_KINDS][-1:]
            for kind in kinds:
                skipped = kind in _OFFICER_KINDS and kind not in latest
                status = "skipped" if skipped else "pending"
                rows.append(
                    {"enterprise_id": eid, "kind": kind, "day": day, "status": status, "at": now}
                )
    if not rows:
        return 0
    # executemany: one statement compiled once, not one VALUES clause per row
    stmt = _insert_ignore(session)(Reminder.__table__).on_conflict_do_nothing()  # type: ignore[attr-defined]
    result = session.connection().execute(stmt, rows)
    session.commit()
    return max(int(result.rowcount or 0), 0)


def _claim_periodic(
    session: Session,
    enterprises: list[Enterprise],
    today: date,
    now: datetime,
    tz: ZoneInfo,
    claimed: set[Any],
) -> list[dict[str, Any]]:
    """Monday: the last week's 周排查 is due; the 1st: the last month's 月调度."""
    due: list[tuple[str, date, Any]] = []
    if today.weekday() == 0:
        due.append(("weekly", today - timedelta(days=7), WeeklyReport))
    if today.day == 1:
        due.append(("monthly", (today - timedelta(days=1)).replace(day=1), MonthlyMinutes))
    rows: list[dict[str, Any]] = []
    for kind, period, model in due:
        done = set(
            session.exec(
                select(col(model.enterprise_id)).where(model.period == period, model.revision == 0)
            ).all()
        )
        for enterprise in enterprises:
            eid = enterprise.id
            if (
                eid in done
                or (eid, kind, today) in claimed
                or now < check_at(enterprise, today, tz)
            ):
                continue
            if local_day(enterprise.created_at, tz) >= today:
                continue  # joined today: nothing of the last period to report
            rows.append(
                {"enterprise_id": eid, "kind": kind, "day": today, "status": "pending", "at": now}
            )
    return rows


@dataclass(frozen=True, slots=True)
class Batch:
    """Reminders that go out as one broadcast: its key, who gets it, and for what."""

    key: str
    kind: str
    day: date
    reminders: list[Reminder]
    recipients: list[int]
    enterprise: Enterprise | None  # set for an escalation (its text names the enterprise)


def pending_batches(session: Session) -> list[Batch]:
    """The claimed reminders not sent yet, grouped into broadcasts."""
    pending = session.exec(
        select(Reminder).where(Reminder.status == "pending").order_by(col(Reminder.id))
    ).all()
    staff = people_by_enterprise(session, sorted({r.enterprise_id for r in pending}))
    groups: dict[tuple[str, date], list[Reminder]] = defaultdict(list)
    batches: list[Batch] = []
    for reminder in pending:
        if reminder.kind == "escalate":
            enterprise = session.get(Enterprise, reminder.enterprise_id)
            chats = _recipients(staff, reminder)
            key = f"rec:escalate:{reminder.day}:{reminder.enterprise_id}"
            batches.append(Batch(key, "escalate", reminder.day, [reminder], chats, enterprise))
        else:
            groups[(reminder.kind, reminder.day)].append(reminder)
    for (kind, day), reminders in groups.items():
        chats = [c for r in reminders for c in _recipients(staff, r)]
        key = f"rec:{kind}:{day}:{reminders[0].id}"
        batches.append(Batch(key, kind, day, reminders, list(dict.fromkeys(chats)), None))
    return batches


# who is told, by kind: the first role that has anyone
_RECIPIENTS = {
    "daily": ("officer",),
    "late": ("officer",),
    "escalate": ("director", "principal"),
    "weekly": ("director", "officer"),
    "monthly": ("principal",),
}


def _recipients(staff: dict[tuple[int, str], list[int]], reminder: Reminder) -> list[int]:
    """Daily ones: the 安全员; escalations and 周排查: the 总监 first; 月调度: the 主要负责人."""
    for role in _RECIPIENTS[reminder.kind]:
        found = staff.get((reminder.enterprise_id, role))
        if found:
            return found
    return []


def mark_queued(session: Session, batch: Batch, broadcast_id: int) -> None:
    """The batch's reminders are in a broadcast now (one UPDATE for the whole batch)."""
    ids = [r.id for r in batch.reminders]
    session.exec(
        update(Reminder)
        .where(col(Reminder.id).in_(ids))
        .values(status="queued", broadcast_id=broadcast_id)
    )
    session.commit()
