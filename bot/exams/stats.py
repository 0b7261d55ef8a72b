"""抽考 records and statistics: filters, per sector and township, the most-missed questions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
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
    "summary",
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


_RECORD_COLUMNS = (
    col(Attempt.id),
    col(Exam.id),
    col(Exam.code),
    col(Attempt.candidate_name),
    col(Attempt.position),
    col(Exam.enterprise),
    col(Exam.credit_code),
    col(Exam.township),
    col(Exam.sector),
    col(Attempt.score),
    col(Attempt.max_score),
    col(Attempt.passed),
    col(Attempt.started_at),
    col(Attempt.submitted_at),
    col(Exam.inspector_id),
)


def _local_day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _where(query: Any, flt: RecordFilter, tz: ZoneInfo) -> Any:
    """Every filter in SQL: submitted exams, the issuer, sector, outcome, dates, township and
    enterprise (township and enterprise match a part of the name)."""
    query = query.join(Exam, col(Exam.id) == col(Attempt.exam_id)).where(
        col(Attempt.mode) == "exam", col(Attempt.status) == "submitted"
    )
    if flt.inspector_id is not None:
        query = query.where(col(Exam.inspector_id) == flt.inspector_id)
    if flt.sector:
        query = query.where(col(Exam.sector) == flt.sector)
    if flt.passed is not None:
        query = query.where(col(Attempt.passed).is_(flt.passed))
    if flt.start:
        query = query.where(col(Attempt.submitted_at) >= _local_day_start(flt.start, tz))
    if flt.end:
        until = _local_day_start(flt.end + timedelta(days=1), tz)
        query = query.where(col(Attempt.submitted_at) < until)
    if flt.township:
        township = func.coalesce(col(Exam.township), NO_TOWNSHIP)
        query = query.where(township.contains(flt.township, autoescape=True))
    if flt.enterprise:
        query = query.where(col(Exam.enterprise).contains(flt.enterprise, autoescape=True))
    return query


def records(
    session: Session, flt: RecordFilter, tz: ZoneInfo, *, limit: int | None = None
) -> list[Record]:
    """Submitted exams matching the filter, newest first (columns, not ORM objects: thousands
    of records are read for an export)."""
    query = _where(sa_select(*_RECORD_COLUMNS), flt, tz).order_by(
        col(Attempt.submitted_at).desc(), col(Attempt.id).desc()
    )
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for row in session.execute(query):
        rows.append((row, as_utc(row[13] or row[12]), row[7] or NO_TOWNSHIP))
    # Only the inspectors who issued these exams: the user table holds every citizen too.
    issuers = {row[14] for row, _, _ in rows}
    names = dict(
        session.exec(select(User.id, User.display_name).where(col(User.id).in_(issuers))).all()
    )
    return [
        Record(
            attempt_id=row[0] or 0,
            exam_id=row[1] or 0,
            code=row[2],
            candidate=row[3] or "",
            position=row[4] or "",
            enterprise=row[5],
            credit_code=row[6] or "",
            township=township,
            sector=row[8],
            score=row[9] or 0.0,
            max_score=row[10],
            passed=bool(row[11]),
            used_seconds=int((end - as_utc(row[12])).total_seconds()),
            submitted_at=end,
            inspector_id=row[14],
            inspector=names.get(row[14]) or str(row[14]),
        )
        for row, end, township in rows
    ]


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


def summary(
    session: Session, flt: RecordFilter, tz: ZoneInfo
) -> tuple[Group, list[Group], list[Group]]:
    """Overall, per sector and per township figures computed in the database (for pages)."""
    passes = func.sum(case((col(Attempt.passed).is_(True), 1), else_=0))
    township = func.coalesce(col(Exam.township), NO_TOWNSHIP)

    def grouped(key: Any) -> list[tuple[str, int, int, float]]:
        query = sa_select(
            key, func.count(), passes, func.avg(func.coalesce(col(Attempt.score), 0))
        )
        return [
            (str(k), int(n), int(p or 0), float(a or 0))
            for k, n, p, a in session.execute(_where(query, flt, tz).group_by(key))
        ]

    def groups(rows: list[tuple[str, int, int, float]], sector: bool) -> list[Group]:
        found = [
            Group(SECTORS.get(k, k) if sector else k, n, p, round(a, 1)) for k, n, p, a in rows
        ]
        return sorted(found, key=lambda g: (-g.attempts, g.name))

    sectors = grouped(col(Exam.sector))
    attempts = sum(n for _, n, _, _ in sectors)
    total = Group(
        name="合计",
        attempts=attempts,
        passed=sum(p for _, _, p, _ in sectors),
        average=round(sum(a * n for _, n, _, a in sectors) / attempts, 1) if attempts else 0.0,
    )
    return total, groups(sectors, True), groups(grouped(township), False)


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
