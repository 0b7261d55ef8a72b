"""Changing the paper new exams use: from plain values (the web console) or field by field (the
bot's /exam_paper editor). Every change is checked against the rules (paper_from_values) and
against the bank for every sector and role, then saved and logged; a PaperError says, in
Chinese, what is wrong and nothing changes.

The editor waits for typed input in an ExamSetting row (paper_edit:<admin id>), not in memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.config import Settings
from bot.exams.bank import Bank
from bot.exams.issue import get_default_paper, set_default_paper
from bot.exams.paper import Paper, PaperError, coverage, paper_from_values
from bot.models import ExamSetting, as_utc
from knowledge.quiz import TYPES

__all__ = [
    "FIELDS",
    "edit_field",
    "editing",
    "save_paper",
    "save_paper_settings",
    "start_editing",
    "stop_editing",
]

# What the editor can change: each question type ("题数 分值"), pass mark, minutes, sector share.
FIELDS = (*TYPES, "pass_mark", "minutes", "sector_share")
EDIT_MINUTES = 15  # a forgotten edit must not swallow the admin's next question for long
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def save_paper_settings(
    session: Session,
    *,
    actor_id: int,
    bank: Bank,
    counts: Mapping[str, int],
    points: Mapping[str, float],
    minutes: int,
    pass_mark: float,
    multiple_partial: float = 0.0,
    sector_share: float = 0.5,
) -> Paper:
    """Validate plain paper values (rules and bank) and save them for new exams; PaperError."""
    paper = paper_from_values(
        counts,
        points,
        minutes=minutes,
        pass_mark=pass_mark,
        multiple_partial=multiple_partial,
        sector_share=sector_share,
    )
    return save_paper(session, actor_id=actor_id, bank=bank, paper=paper)


def save_paper(session: Session, *, actor_id: int, bank: Bank, paper: Paper) -> Paper:
    """Save a valid paper for new exams if the bank can fill it for every sector and role."""
    problems = coverage(bank.questions, paper)
    if problems:
        raise PaperError(["题库不足以组卷：", *problems])
    set_default_paper(session, actor_id=actor_id, paper=paper)
    return paper


def _key(actor_id: int) -> str:
    return f"paper_edit:{actor_id}"


def start_editing(session: Session, *, actor_id: int, field: str, now: datetime) -> None:
    """The admin chose a field: their next text is its value."""
    if field not in FIELDS:
        raise ValueError(field)
    row = session.get(ExamSetting, _key(actor_id)) or ExamSetting(key=_key(actor_id), value="")
    row.value, row.updated_by, row.updated_at = field, actor_id, now.astimezone(UTC)
    session.add(row)
    session.commit()


def editing(session: Session, actor_id: int, now: datetime) -> str | None:
    """The field this admin is typing a value for (a fresh edit only), or None."""
    row = session.get(ExamSetting, _key(actor_id))
    if row is None or as_utc(row.updated_at) < now - timedelta(minutes=EDIT_MINUTES):
        return None
    return row.value


def stop_editing(session: Session, actor_id: int) -> None:
    """The edit is done or abandoned."""
    row = session.get(ExamSetting, _key(actor_id))
    if row is not None:
        session.delete(row)
        session.commit()


@dataclass(slots=True)
class _Values:
    """A paper as the plain values save_paper_settings takes."""

    counts: dict[str, int]
    points: dict[str, float]
    minutes: int
    pass_mark: float
    multiple_partial: float
    sector_share: float

    @classmethod
    def of(cls, paper: Paper) -> _Values:
        return cls(
            {s.type: s.count for s in paper.sections},
            {s.type: s.points for s in paper.sections},
            paper.minutes,
            paper.pass_mark,
            paper.multiple_partial,
            paper.sector_share,
        )


_HOW = {
    "type": "请输入题数和每题分值，例如：20 2（题数为 0 表示不考这一类题）",
    "pass_mark": "请输入合格线分数，例如：80",
    "minutes": "请输入限时分钟数，例如：30",
    "sector_share": "请输入本行业题目占比（百分数），例如：50",
}


def _parse(field: str, text: str, current: Paper) -> _Values:
    """The paper with one field changed from typed text ("20 2", "80", "50%"); PaperError."""
    numbers = [float(n) for n in _NUMBER.findall(text)]
    values = _Values.of(current)
    how = _HOW["type" if field in TYPES else field]
    if not numbers or len(numbers) > (2 if field in TYPES else 1):
        raise PaperError([how])
    first = numbers[0]
    if (field in TYPES or field == "minutes") and not first.is_integer():
        raise PaperError([how])
    if field in TYPES:
        values.counts[field] = int(first)
        values.points[field] = numbers[1] if len(numbers) == 2 else values.points.get(field, 2.0)
    elif field == "minutes":
        values.minutes = int(first)
    elif field == "sector_share":
        values.sector_share = first / 100
    else:
        values.pass_mark = first
    return values


def edit_field(
    session: Session,
    *,
    actor_id: int,
    bank: Bank,
    settings: Settings,
    field: str,
    text: str,
) -> Paper:
    """Change one field of the current paper from typed text, check the whole paper, save it."""
    v = _parse(field, text, get_default_paper(session, settings))
    paper = save_paper_settings(
        session,
        actor_id=actor_id,
        bank=bank,
        counts=v.counts,
        points=v.points,
        minutes=v.minutes,
        pass_mark=v.pass_mark,
        multiple_partial=v.multiple_partial,
        sector_share=v.sector_share,
    )
    stop_editing(session, actor_id)
    return paper
