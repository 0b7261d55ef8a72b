"""日管控: the 安全员's daily check against the enterprise's list, its problems and their fixes.

A day's record is one row (enterprise, day, revision 0) under a unique key, so two taps or two
devices file it once. Problems stay open until someone records the fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import as_utc, utcnow
from bot.records.checklist import Item, current_version, items_of
from bot.records.enterprises import draft_of, people, roles_in
from bot.records.models import (
    Awaiting,
    ChecklistVersion,
    DailyDraft,
    DailyRecord,
    DayOff,
    Enterprise,
    Problem,
)

__all__ = [
    "FILERS",
    "FIXERS",
    "MAX_PHOTO_BYTES",
    "MAX_TEXT",
    "Draft",
    "Filed",
    "alert_recipients",
    "awaiting_of",
    "begin_findings",
    "check_at",
    "day_off_reason",
    "deadline_at",
    "draft_for",
    "file_findings",
    "file_zero",
    "filed_record",
    "finding_photo",
    "finding_text",
    "fix_problem",
    "local_day",
    "open_problems",
    "owes_text",
    "problem_age",
    "public_holidays",
    "set_severity",
    "start_fix",
    "start_marking",
    "toggle_item",
]

FILERS = {"officer", "director"}  # who files the day's check (the 总监 stands in)
FIXERS = {"officer", "director", "principal"}
MAX_TEXT = 300  # a description, a measure, a fix note
MAX_PHOTO_BYTES = 5 * 1024 * 1024
DRAFT_STAGES = ("mark", "describe", "measure", "severity", "confirm")


def local_day(now: datetime, tz: ZoneInfo) -> date:
    """The calendar day in the enterprise's time zone."""
    return as_utc(now).astimezone(tz).date()


def _hhmm(value: str) -> time:
    hour, _, minute = value.partition(":")
    return time(int(hour), int(minute or 0))


def deadline_at(enterprise: Enterprise, day: date, tz: ZoneInfo) -> datetime:
    """When the day's record is due (UTC)."""
    return datetime.combine(day, _hhmm(enterprise.deadline), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def check_at(enterprise: Enterprise, day: date, tz: ZoneInfo) -> datetime:
    """When the 安全员 is asked for the day's check (UTC)."""
    return datetime.combine(day, _hhmm(enterprise.check_time), tzinfo=tz).astimezone(
        ZoneInfo("UTC")
    )


@cache
def public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("CN", years=year, language="zh_CN").items())


def day_off_reason(
    session: Session, enterprise: Enterprise, day: date, closed: set[date] | None = None
) -> str | None:
    """Why no record is expected on this day (休息日, 节假日 …), or None on a working day.

    `closed` is the enterprise's closing days when the caller has read them already.
    """
    if str(day.weekday()) in enterprise.closed_weekdays:
        return "每周固定休息日"
    if enterprise.holidays_off and day in public_holidays(day.year):
        return f"法定节假日（{public_holidays(day.year)[day]}）"
    if closed is not None:
        return "企业停业日" if day in closed else None
    found = session.exec(
        select(DayOff.id).where(DayOff.enterprise_id == enterprise.id, DayOff.day == day)
    ).first()
    return "企业停业日" if found is not None else None


def filed_record(session: Session, enterprise_id: int, day: date) -> DailyRecord | None:
    """The day's record as first filed (revision 0)."""
    return session.exec(
        select(DailyRecord).where(
            DailyRecord.enterprise_id == enterprise_id,
            DailyRecord.day == day,
            DailyRecord.revision == 0,
        )
    ).first()


@dataclass(frozen=True, slots=True)
class Filed:
    """A filing attempt: the day's record, whether this attempt made it, its new problems."""

    record: DailyRecord
    created: bool
    problems: list[Problem] = field(default_factory=list)


def _insert_record(session: Session, record: DailyRecord) -> bool:
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # filed a moment ago (a double tap, another device)
        session.rollback()
        return False
    return True


def _new_record(
    enterprise: Enterprise,
    day: date,
    version: ChecklistVersion,
    user: int,
    now: datetime,
    tz: ZoneInfo,
) -> DailyRecord:
    assert enterprise.id is not None and version.id is not None
    return DailyRecord(
        enterprise_id=enterprise.id,
        day=day,
        version_id=version.id,
        zero_risk=True,
        filed_by=user,
        filed_at=now,
        on_time=now <= deadline_at(enterprise, day, tz),
    )


def file_zero(
    session: Session, enterprise: Enterprise, day: date, user: int, *, now: datetime, tz: ZoneInfo
) -> Filed | None:
    """零风险报告: nothing found today; filed once whatever the number of taps."""
    assert enterprise.id is not None
    existing = filed_record(session, enterprise.id, day)
    if existing is not None:
        return Filed(existing, False)
    version = current_version(session, enterprise.id)
    if version is None:
        return None
    record = _new_record(enterprise, day, version, user, now, tz)
    if not _insert_record(session, record):
        again = filed_record(session, enterprise.id, day)
        assert again is not None
        return Filed(again, False)
    _drop_draft(session, enterprise.id, day)
    session.commit()
    return Filed(record, True)


# --- marking problems: a draft row holds the findings until they are filed ------------------


@dataclass
class Draft:
    """A daily draft with its data unpacked."""

    row: DailyDraft
    items: list[Item]
    marked: list[int]
    pos: int
    stage: str
    findings: dict[str, dict[str, Any]]

    @property
    def current(self) -> int | None:
        """The index (0-based) of the item whose finding is being written."""
        return self.marked[self.pos] if self.pos < len(self.marked) else None

    def finding(self, index: int) -> dict[str, Any]:
        """The finding of one item (created empty)."""
        return self.findings.setdefault(
            str(index), {"description": "", "measure": "", "photo": None, "serious": False}
        )


def _load(session: Session, row: DailyDraft) -> Draft:
    data = json.loads(row.data or "{}")
    version = session.get(ChecklistVersion, row.version_id)
    assert version is not None
    return Draft(
        row=row,
        items=items_of(version),
        marked=list(data.get("marked", [])),
        pos=int(data.get("pos", 0)),
        stage=str(data.get("stage", "mark")),
        findings=dict(data.get("findings", {})),
    )


def _save(session: Session, draft: Draft) -> None:
    draft.row.data = json.dumps(
        {
            "marked": draft.marked,
            "pos": draft.pos,
            "stage": draft.stage,
            "findings": draft.findings,
        },
        ensure_ascii=False,
    )
    draft.row.updated_at = utcnow()
    session.add(draft.row)
    waiting = draft.stage in ("describe", "measure")
    awaiting = session.get(Awaiting, draft.row.user_id)
    if waiting:
        assert draft.row.id is not None
        awaiting = awaiting or Awaiting(user_id=draft.row.user_id, kind="daily", target_id=0)
        awaiting.kind, awaiting.target_id, awaiting.updated_at = "daily", draft.row.id, utcnow()
        session.add(awaiting)
    elif awaiting is not None and awaiting.kind == "daily":
        session.delete(awaiting)
    session.commit()


def _drop_draft(session: Session, enterprise_id: int, day: date) -> None:
    row = session.exec(
        select(DailyDraft).where(DailyDraft.enterprise_id == enterprise_id, DailyDraft.day == day)
    ).first()
    if row is None:
        return
    awaiting = session.get(Awaiting, row.user_id)
    if awaiting is not None and awaiting.kind == "daily" and awaiting.target_id == row.id:
        session.delete(awaiting)
    session.delete(row)


def start_marking(session: Session, enterprise: Enterprise, day: date, user: int) -> Draft | None:
    """Open (or reopen) the day's draft to mark items; None once the day is filed."""
    assert enterprise.id is not None
    if filed_record(session, enterprise.id, day) is not None:
        return None
    row = session.exec(
        select(DailyDraft).where(DailyDraft.enterprise_id == enterprise.id, DailyDraft.day == day)
    ).first()
    if row is None:
        version = current_version(session, enterprise.id)
        assert version is not None and version.id is not None
        row = DailyDraft(enterprise_id=enterprise.id, day=day, user_id=user, version_id=version.id)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return start_marking(session, enterprise, day, user)
    draft = _load(session, row)
    if row.user_id != user:  # another 安全员 (or the 总监) takes over the day's draft
        row.user_id = user
    draft.stage, draft.pos = "mark", 0
    _save(session, draft)
    return draft


def draft_for(session: Session, draft_id: int, user: int) -> Draft | None:
    """The draft a button names, if it is this person's and its day is not filed yet."""
    row = session.get(DailyDraft, draft_id)
    if row is None or row.user_id != user:
        return None
    if filed_record(session, row.enterprise_id, row.day) is not None:
        return None
    return _load(session, row)


def toggle_item(session: Session, draft: Draft, index: int) -> bool:
    """Mark or unmark one item as having a problem; False for an index out of range."""
    if draft.stage != "mark" or not 0 <= index < len(draft.items):
        return False
    if index in draft.marked:
        draft.marked.remove(index)
    else:
        draft.marked = sorted([*draft.marked, index])
    _save(session, draft)
    return True


def begin_findings(session: Session, draft: Draft) -> bool:
    """From marking to writing the first finding; False when nothing is marked."""
    if not draft.marked:
        return False
    draft.stage, draft.pos = "describe", 0
    _save(session, draft)
    return True


def awaiting_of(session: Session, user: int) -> Awaiting | None:
    """What typed answer the bot waits for from this person, if any."""
    return session.get(Awaiting, user)


def owes_text(session: Session, user: int, _now: datetime, _text: str) -> bool:
    """The person's next text is the records': a registration, a finding, a fix or a report."""
    return draft_of(session, user) is not None or awaiting_of(session, user) is not None


def finding_text(session: Session, draft: Draft, text: str) -> str:
    """The description or the measure of the current item; an error message or ''."""
    text = text.strip()
    index = draft.current
    if index is None or draft.stage not in ("describe", "measure"):
        return "stale"
    if not text:
        return "empty"
    if len(text) > MAX_TEXT:
        return "too_long"
    finding = draft.finding(index)
    if draft.stage == "describe":
        finding["description"], draft.stage = text, "measure"
    else:
        finding["measure"], draft.stage = text, "severity"
    _save(session, draft)
    return ""


def finding_photo(session: Session, draft: Draft, file_id: str, size: int | None) -> str:
    """A photo of the current item's problem; 'too_large' refuses it and keeps the text."""
    index = draft.current
    if index is None or draft.stage not in ("describe", "measure"):
        return "stale"
    if size is not None and size > MAX_PHOTO_BYTES:
        return "too_large"
    draft.finding(index)["photo"] = file_id
    _save(session, draft)
    return ""


def set_severity(session: Session, draft: Draft, serious: bool) -> bool:
    """一般 / 严重 for the current item; then the next item, or the summary to confirm."""
    index = draft.current
    if index is None or draft.stage != "severity":
        return False
    draft.finding(index)["serious"] = serious
    draft.pos += 1
    draft.stage = "describe" if draft.pos < len(draft.marked) else "confirm"
    _save(session, draft)
    return True


def file_findings(session: Session, draft: Draft, *, now: datetime, tz: ZoneInfo) -> Filed | None:
    """File the day's record with its problems; None unless the draft is ready to file."""
    row = draft.row
    enterprise = session.get(Enterprise, row.enterprise_id)
    version = session.get(ChecklistVersion, row.version_id)
    if enterprise is None or version is None or draft.stage != "confirm":
        return None
    record = _new_record(enterprise, row.day, version, row.user_id, now, tz)
    record.zero_risk, record.problems = False, len(draft.marked)
    if not _insert_record(session, record):
        again = filed_record(session, row.enterprise_id, row.day)
        assert again is not None
        return Filed(again, False)
    assert record.id is not None
    problems = []
    for index in draft.marked:
        item, finding = draft.items[index], draft.finding(index)
        problem = Problem(
            enterprise_id=row.enterprise_id,
            record_id=record.id,
            item_key=item.key,
            item_text=item.text,
            description=finding["description"],
            measure=finding["measure"],
            photo_file_id=finding["photo"],
            serious=bool(finding["serious"]),
            opened_at=now,
        )
        session.add(problem)
        problems.append(problem)
    _drop_draft(session, row.enterprise_id, row.day)
    session.commit()
    return Filed(record, True, problems)


def alert_recipients(session: Session, problem: Problem) -> list[int]:
    """Who hears of a problem at once: the 总监; the 主要负责人 too when it is serious."""
    roles = ("director", "principal") if problem.serious else ("director",)
    found = people(session, problem.enterprise_id, *roles)
    return found or people(session, problem.enterprise_id, "principal")


# --- open problems and their fixes ----------------------------------------------------------


def open_problems(session: Session, enterprise_id: int) -> list[Problem]:
    """The enterprise's problems not yet recorded as fixed, oldest first."""
    return list(
        session.exec(
            select(Problem)
            .where(Problem.enterprise_id == enterprise_id, col(Problem.fixed_at).is_(None))
            .order_by(col(Problem.id))
        ).all()
    )


def start_fix(session: Session, problem_id: int, user: int) -> Problem | None:
    """Wait for the fix note of an open problem (the person must serve the enterprise)."""
    problem = session.get(Problem, problem_id)
    if problem is None or problem.fixed_at is not None:
        return None
    if not roles_in(session, user, problem.enterprise_id) & FIXERS:
        return None
    awaiting = session.get(Awaiting, user) or Awaiting(user_id=user, kind="fix", target_id=0)
    awaiting.kind, awaiting.target_id, awaiting.updated_at = "fix", problem_id, utcnow()
    session.add(awaiting)
    session.commit()
    return problem


def fix_problem(session: Session, problem: Problem, user: int, note: str, *, now: datetime) -> str:
    """Record the fix; an error code ('too_long', 'empty', 'stale') or ''."""
    note = note.strip()
    if not note:
        return "empty"
    if len(note) > MAX_TEXT:
        return "too_long"
    if problem.fixed_at is not None:
        return "stale"
    problem.fixed_at, problem.fixed_by, problem.fix_note = now, user, note
    session.add(problem)
    awaiting = session.get(Awaiting, user)
    if awaiting is not None:
        session.delete(awaiting)
    session.commit()
    return ""


def problem_age(problem: Problem, now: datetime) -> timedelta:
    """How long the problem has been open (or was open until fixed)."""
    end = as_utc(problem.fixed_at) if problem.fixed_at else now
    return end - as_utc(problem.opened_at)
