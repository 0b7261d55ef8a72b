"""抽考 records and statistics: filters, per sector and township, the most-missed questions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.exams.bank import Bank
from bot.models import Attempt, AttemptItem, Exam, User, as_utc
from knowledge.quiz import SECTORS

__all__ = [
    "Group",
    "Missed",
    "Record",
    "RecordFilter",
    "by_sector",
    "by_township",
    "most_missed",
    "open_exams",
    "overall",
    "parse_filter",
    "records",
]

NO_TOWNSHIP = "未填写"
_DATE = r"(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?"
_RANGE_RE = re.compile(rf"^{_DATE}(?:[~～至到]{_DATE})?$")
_SECTOR_WORDS = {name: key for key, name in SECTORS.items()} | {
    "生产": "production", "销售": "retail", "餐饮": "catering", "食堂": "canteen",
}  # fmt: skip
_OUTCOMES = {"合格": True, "通过": True, "pass": True, "不合格": False, "未通过": False,
             "fail": False}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records to show; inspector_id None means all inspectors (admins)."""

    start: date | None = None
    end: date | None = None
    sector: str | None = None
    township: str | None = None
    passed: bool | None = None
    inspector_id: int | None = None
    enterprise: str | None = None  # part of the enterprise's name (the console's filter)


def _dates(groups: Sequence[str | None]) -> tuple[date, date] | None:
    year, month, day = (int(g) if g else None for g in groups)
    if year is None or month is None:
        return None
    try:
        if day is not None:
            one = date(year, month, day)
            return one, one
        first = date(year, month, 1)
        return first, date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    except (ValueError, OverflowError):  # 2025-13, 9999-12 …
        return None


def parse_filter(text: str) -> tuple[RecordFilter, list[str]]:
    """Filters from words: 2025-03 / 2025-03-01~2025-03-31, a sector, 合格/不合格, a township."""
    values: dict[str, object] = {}
    unknown: list[str] = []
    for token in re.split(r"[\s,，、]+", text.strip()):
        match = _RANGE_RE.match(token) if token else None
        if not token:
            continue
        if match:
            first = _dates(match.groups()[:3])
            last = _dates(match.groups()[3:]) if match.group(4) else first
            if first is None or last is None:
                unknown.append(token)
                continue
            values["start"], values["end"] = min(first[0], last[0]), max(first[1], last[1])
        elif token in _SECTOR_WORDS:
            values["sector"] = _SECTOR_WORDS[token]
        elif token.lower() in _OUTCOMES:
            values["passed"] = _OUTCOMES[token.lower()]
        elif len(token) <= 20:
            values["township"] = token
        else:
            unknown.append(token)
    return RecordFilter(**values), unknown  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Record:
    """One submitted exam, as listed and exported."""

    attempt_id: int
    exam_id: int
    code: str
    candidate: str
    position: str
    enterprise: str
    credit_code: str
    township: str
    sector: str
    score: float
    max_score: float
    passed: bool
    used_seconds: int
    submitted_at: datetime
    inspector_id: int
    inspector: str


def records(session: Session, flt: RecordFilter, tz: ZoneInfo) -> list[Record]:
    """Submitted exams matching the filter, newest first."""
    query = (
        select(Attempt, Exam)
        .join(Exam, col(Exam.id) == col(Attempt.exam_id))
        .where(col(Attempt.mode) == "exam", col(Attempt.status) == "submitted")
        .order_by(col(Attempt.submitted_at).desc(), col(Attempt.id).desc())
    )
    if flt.inspector_id is not None:
        query = query.where(col(Exam.inspector_id) == flt.inspector_id)
    if flt.sector:
        query = query.where(col(Exam.sector) == flt.sector)
    if flt.passed is not None:
        query = query.where(col(Attempt.passed).is_(flt.passed))
    names = {u.id: u.display_name for u in session.exec(select(User))}
    found = []
    for attempt, exam in session.exec(query):
        end = as_utc(attempt.submitted_at or attempt.started_at)
        local = end.astimezone(tz).date()
        if (flt.start and local < flt.start) or (flt.end and local > flt.end):
            continue
        township = exam.township or NO_TOWNSHIP
        if flt.township and flt.township not in township:
            continue
        if flt.enterprise and flt.enterprise not in exam.enterprise:
            continue
        found.append(
            Record(
                attempt_id=attempt.id or 0,
                exam_id=exam.id or 0,
                code=exam.code,
                candidate=attempt.candidate_name or "",
                position=attempt.position or "",
                enterprise=exam.enterprise,
                credit_code=exam.credit_code or "",
                township=township,
                sector=exam.sector,
                score=attempt.score or 0.0,
                max_score=attempt.max_score,
                passed=bool(attempt.passed),
                used_seconds=int((end - as_utc(attempt.started_at)).total_seconds()),
                submitted_at=end,
                inspector_id=exam.inspector_id,
                inspector=names.get(exam.inspector_id) or str(exam.inspector_id),
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class Group:
    """Attempts, pass rate and average score of one sector or township."""

    name: str
    attempts: int
    passed: int
    average: float

    @property
    def pass_rate(self) -> float:
        """Share of attempts that passed."""
        return self.passed / self.attempts if self.attempts else 0.0


def _group(rows: Iterable[Record], key: str) -> list[Group]:
    buckets: dict[str, list[Record]] = {}
    for r in rows:
        buckets.setdefault(getattr(r, key), []).append(r)
    groups = [
        Group(
            name=SECTORS.get(name, name) if key == "sector" else name,
            attempts=len(items),
            passed=sum(r.passed for r in items),
            average=round(sum(r.score for r in items) / len(items), 1),
        )
        for name, items in buckets.items()
    ]
    return sorted(groups, key=lambda g: (-g.attempts, g.name))


def by_sector(rows: Iterable[Record]) -> list[Group]:
    """Statistics per sector, most attempts first."""
    return _group(rows, "sector")


def by_township(rows: Iterable[Record]) -> list[Group]:
    """Statistics per township, most attempts first."""
    return _group(rows, "township")


def overall(rows: Sequence[Record]) -> Group:
    """All records together."""
    return Group(
        name="合计",
        attempts=len(rows),
        passed=sum(r.passed for r in rows),
        average=round(sum(r.score for r in rows) / len(rows), 1) if rows else 0.0,
    )


@dataclass(frozen=True, slots=True)
class Missed:
    """How often a question was asked in the exams and answered wrongly."""

    question_id: str
    stem: str
    topic: str
    asked: int
    wrong: int

    @property
    def rate(self) -> float:
        """Share of sittings that got it wrong."""
        return self.wrong / self.asked if self.asked else 0.0


def most_missed(
    session: Session, rows: Sequence[Record], bank: Bank, limit: int = 10
) -> list[Missed]:
    """The questions most often answered wrongly in these exams (ties: higher rate first)."""
    ids = [r.attempt_id for r in rows]
    asked: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        items = session.exec(
            select(AttemptItem.question_id, AttemptItem.correct).where(
                col(AttemptItem.attempt_id).in_(chunk)
            )
        )
        for question_id, correct in items:
            asked[question_id] += 1
            wrong[question_id] += not correct
    found = [
        Missed(qid, bank.by_id[qid].stem, bank.by_id[qid].topic, asked[qid], n)
        for qid, n in wrong.items()
        if n and qid in bank.by_id
    ]
    found.sort(key=lambda m: (-m.wrong, -m.rate, m.question_id))
    return found[:limit]


def open_exams(
    session: Session, inspector_id: int | None, now: datetime, limit: int = 10
) -> list[Exam]:
    """Codes not yet used up: issued and unexpired, or being taken (newest first)."""
    query = (
        select(Exam)
        .where(col(Exam.status).in_(("issued", "started")))
        .order_by(col(Exam.created_at).desc())
    )
    if inspector_id is not None:
        query = query.where(col(Exam.inspector_id) == inspector_id)
    found = [e for e in session.exec(query) if e.status == "started" or as_utc(e.expires_at) > now]
    return found[:limit]
