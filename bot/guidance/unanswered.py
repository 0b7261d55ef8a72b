"""The month's questions the bot could not answer, grouped by similarity (for staff).

Grouping is knowledge.clusters over the distinct texts (the most asked MAX_DISTINCT of them);
its result is kept per input, so a page shown again on unchanged data is not grouped again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.models import QuestionLog
from knowledge.clusters import QuestionGroup, group_similar
from knowledge.text import Analyzer

__all__ = ["MAX_DISTINCT", "SCOPES", "Unanswered", "month_bounds", "unanswered_groups"]

# not found only, or also the questions answered with "您是不是想问" choices
SCOPES = {"none": ("none",), "all": ("none", "suggested")}
MAX_DISTINCT = 3000
_KEPT = 16
_GROUPED: OrderedDict[int, list[QuestionGroup]] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Unanswered:
    """Groups of one month's unanswered questions with the figures behind them."""

    groups: list[QuestionGroup]
    asked: int  # questions (log rows)
    distinct: int  # distinct texts
    grouped: int  # distinct texts that took part (the most asked MAX_DISTINCT)


def month_bounds(first: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The month that begins on `first`, as a local-time span [start, end)."""
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return datetime.combine(first, time(0), tz), datetime.combine(following, time(0), tz)


def unanswered_groups(
    session: Session,
    analyzer: Analyzer,
    *,
    start: datetime,
    end: datetime,
    scope: str = "none",
    limit: int = MAX_DISTINCT,
) -> Unanswered:
    """The groups of questions logged in [start, end) with an outcome of the scope."""
    where = (
        col(QuestionLog.outcome).in_(SCOPES[scope]),
        col(QuestionLog.at) >= start,
        col(QuestionLog.at) < end,
    )
    asked, distinct = session.exec(
        select(func.count(), func.count(func.distinct(QuestionLog.text))).where(*where)
    ).one()
    times = func.count().label("times")
    rows = session.exec(
        select(QuestionLog.text, times)
        .where(*where)
        .group_by(col(QuestionLog.text))
        .order_by(times.desc(), col(QuestionLog.text))
        .limit(limit)
    ).all()
    counted = tuple((text, int(n)) for text, n in rows)
    key = hash(counted)
    groups = _GROUPED.get(key)
    if groups is None:
        groups = group_similar(counted, analyzer)
        _GROUPED[key] = groups
        if len(_GROUPED) > _KEPT:
            _GROUPED.popitem(last=False)
    return Unanswered(groups, int(asked), int(distinct), len(counted))
