"""Units of work the records chat handlers run off the event loop, one call per update.

Each function bundles the several service calls one handler made in one session, so the
handler can run them with a single `await context.db(...)` and keep the loop free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.records import checklist, enterprises, reports
from bot.records import daily as svc
from bot.records.assignments import assign
from bot.records.checklist import current_version
from bot.records.enterprises import people, roles_in
from bot.records.models import (
    ChecklistVersion,
    DailyRecord,
    Enterprise,
    EnterpriseDraft,
    Invite,
    MonthlyMinutes,
    Problem,
    WeeklyReport,
)
from bot.users import audit

__all__ = [
    "Answered",
    "Today",
    "answer_text",
    "assign_audited",
    "attach_photo",
    "change_checklist",
    "confirm_report",
    "enterprise_answer",
    "file_with_alerts",
    "filer_of",
    "import_audited",
    "invite_as",
    "mark_day",
    "on_draft",
    "report_answer",
    "today_of",
    "visible_enterprise",
    "zero_day",
]

if TYPE_CHECKING:
    from bot.records.importer import ImportReport

T = TypeVar("T")


@dataclass
class Today:
    """What /today shows: the filed record, the day-off reason or the current checklist."""

    record: DailyRecord | None
    reason: str | None
    version: ChecklistVersion | None


def today_of(session: Session, enterprise: Enterprise, day: date) -> Today:
    """The enterprise's day as /today shows it."""
    assert enterprise.id is not None
    return Today(
        svc.filed_record(session, enterprise.id, day),
        svc.day_off_reason(session, enterprise, day),
        current_version(session, enterprise.id),
    )


def filer_of(session: Session, enterprise_id: int, user: int) -> Enterprise | None:
    """The enterprise, when the person may file its daily record."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not roles_in(session, user, enterprise_id) & svc.FILERS:
        return None
    return enterprise


def zero_day(
    session: Session, enterprise: Enterprise, day: date, user: int, *, now: datetime, tz: ZoneInfo
) -> tuple[svc.Filed | None, ChecklistVersion | None]:
    """File the zero-risk record and fetch the checklist version it was filed against."""
    filed = svc.file_zero(session, enterprise, day, user, now=now, tz=tz)
    version = session.get(ChecklistVersion, filed.record.version_id) if filed else None
    return filed, version


def mark_day(
    session: Session, enterprise: Enterprise, day: date, user: int
) -> tuple[svc.Draft | None, DailyRecord | None]:
    """Open the day's draft for marking, or the record that is already filed."""
    draft = svc.start_marking(session, enterprise, day, user)
    return draft, svc.filed_record(session, enterprise.id or 0, day)


def on_draft(
    session: Session, draft_id: int, user: int, step: Callable[[Session, svc.Draft], T]
) -> tuple[svc.Draft, T] | None:
    """One step on the person's draft; None when the draft is gone or not theirs."""
    draft = svc.draft_for(session, draft_id, user)
    return None if draft is None else (draft, step(session, draft))


@dataclass
class Filing:
    """A filed draft, its enterprise and who hears of each problem."""

    filed: svc.Filed | None
    enterprise: Enterprise | None
    alerts: list[tuple[Problem, list[int]]]


def file_with_alerts(session: Session, draft: svc.Draft, *, now: datetime, tz: ZoneInfo) -> Filing:
    """File the draft's findings and list the alert recipients of each problem."""
    filed = svc.file_findings(session, draft, now=now, tz=tz)
    enterprise = session.get(Enterprise, draft.row.enterprise_id)
    alerts = [(p, svc.alert_recipients(session, p)) for p in filed.problems] if filed else []
    return Filing(filed, enterprise, alerts)


@dataclass
class Answered:
    """A typed answer taken: an error code, the draft to go on with, or the fixed problem."""

    error: str
    draft: svc.Draft | None = None
    problem: Problem | None = None
    enterprise: Enterprise | None = None
    others: list[int] = field(default_factory=list)


def answer_text(session: Session, user: int, text: str, *, now: datetime) -> Answered | None:
    """A finding's text or a problem's fix note; None when no such answer is awaited."""
    awaiting = svc.awaiting_of(session, user)
    if awaiting is None or awaiting.kind not in ("fix", "daily"):
        return None
    if awaiting.kind == "daily":
        draft = svc.draft_for(session, awaiting.target_id, user)
        return Answered(svc.finding_text(session, draft, text) if draft else "stale", draft)
    problem = session.get(Problem, awaiting.target_id)
    if problem is None:
        return Answered("stale")
    error = svc.fix_problem(session, problem, user, text, now=now)
    enterprise = session.get(Enterprise, problem.enterprise_id)
    others = [
        p for p in people(session, problem.enterprise_id, "director", "officer") if p != user
    ]
    return Answered(error, None, problem, enterprise, others)


def attach_photo(
    session: Session, user: int, file_id: str, size: int | None, caption: str | None
) -> tuple[svc.Draft | None, str]:
    """Keep a photo (and its caption as the description) with the finding being written."""
    awaiting = svc.awaiting_of(session, user)
    draft = (
        svc.draft_for(session, awaiting.target_id, user)
        if awaiting and awaiting.kind == "daily"
        else None
    )
    if draft is None:
        return None, ""
    error = svc.finding_photo(session, draft, file_id, size)
    if not error and caption and draft.stage == "describe":
        error = svc.finding_text(session, draft, caption)
    return draft, error


def change_checklist(
    session: Session, enterprise_id: int, action: str, index: int, text: str, user: int
) -> tuple[ChecklistVersion | None, int]:
    """Add, reword or retire an item: the new version (None: no such item) and the item count."""
    version: ChecklistVersion | None
    if action == "add":
        version = checklist.add_item(session, enterprise_id, text, by=user)
    elif action == "edit":
        version = checklist.reword_item(session, enterprise_id, index, text, by=user)
    else:
        version = checklist.retire_item(session, enterprise_id, index, by=user)
    latest = current_version(session, enterprise_id)
    return version, len(checklist.items_of(latest)) if latest else 0


def visible_enterprise(
    session: Session, enterprise_id: int, user: int, *, staff: bool
) -> Enterprise | None:
    """The enterprise, when staff or one of its people asks for it."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.id is None:
        return None
    return enterprise if staff or roles_in(session, user, enterprise.id) else None


def assign_audited(
    session: Session, enterprise_id: int, inspector: int, *, by: int
) -> Enterprise | None:
    """Assign the enterprise to the inspector and audit it; None when there is no such one."""
    enterprise = assign(session, enterprise_id, inspector, by=by)
    if enterprise is not None:
        audit(session, actor_id=by, action="records:assign", detail=f"{enterprise_id} {inspector}")
    return enterprise


def report_answer(
    session: Session, user: int, text: str
) -> tuple[reports.Draft | None, str] | None:
    """A typed part of a report; None when no report part is awaited."""
    awaiting = svc.awaiting_of(session, user)
    if awaiting is None or awaiting.kind != "report":
        return None
    draft = reports.draft_for(session, awaiting.target_id, user)
    return draft, reports.report_text(session, draft, text) if draft else "stale"


def confirm_report(
    session: Session, draft_id: int, user: int, *, now: datetime
) -> tuple[reports.Draft | None, WeeklyReport | MonthlyMinutes | None, bool, Enterprise | None]:
    """File the report once: the draft, the report, whether it is new, and its enterprise."""
    draft = reports.draft_for(session, draft_id, user)
    report, created = reports.confirm(session, draft, now=now) if draft else (None, False)
    enterprise = session.get(Enterprise, report.enterprise_id) if report else None
    return draft, report, created, enterprise


def enterprise_answer(
    session: Session, user: int, text: str
) -> tuple[EnterpriseDraft, enterprises.DraftResult] | None:
    """The next typed answer of a registration; None when none (or a sector button) is awaited."""
    draft = enterprises.draft_of(session, user)
    if draft is None or draft.step == "sector":
        return None
    return draft, enterprises.draft_input(session, draft, text)


def invite_as(
    session: Session, enterprise_id: int, role: str, user: int, allowed: set[str]
) -> tuple[Enterprise, Invite] | None:
    """A join link for the role, when the person holds one of the allowed roles there."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not roles_in(session, user, enterprise_id) & allowed:
        return None
    return enterprise, enterprises.create_invite(session, enterprise_id, role, by=user)


def import_audited(session: Session, data: bytes, *, by: int) -> ImportReport:
    """Register a workbook's enterprises and audit how many."""
    # openpyxl loads with the first import, not with every worker's start.
    from bot.records.importer import import_workbook

    report = import_workbook(session, data, by=by)
    audit(session, actor_id=by, action="records:import", detail=f"{report.created} 家")
    return report
