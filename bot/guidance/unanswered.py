"""The month's questions the bot could not answer, grouped by similarity (for staff).

Grouping is knowledge.clusters over the distinct texts (the most asked MAX_DISTINCT of them);
its result is kept per database and month until the month's questions change, so a page
shown again on unchanged data is neither queried in full nor grouped again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.models import QuestionLog
from knowledge.clusters import QuestionGroup, group_similar
from knowledge.text import Analyzer

__all__ = ["MAX_DISTINCT", "SCOPES", "Unanswered", "month_bounds", "unanswered_groups"]

# not found only, or also the questions answered with "您是不是想问" choices
SCOPES = {"none": ("none",), "all": ("none", "suggested")}
MAX_DISTINCT = 3000
_KEPT = 16
# Per database: the groups of a month, kept while its questions stay the same (count, newest).
_GROUPED: WeakKeyDictionary[Engine, OrderedDict[tuple[object, ...], Unanswered]] = (
    WeakKeyDictionary()
)


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
    # Log rows are only ever added: the count and the newest id tell whether anything changed.
    asked, newest = session.exec(
        select(func.count(), func.max(QuestionLog.id)).where(*where)
    ).one()
    key = (start, end, scope, limit, asked, newest)
    kept = _GROUPED.setdefault(session.get_bind(), OrderedDict())  # type: ignore[arg-type]
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    rows = session.exec(
        select(QuestionLog.text, func.count()).where(*where).group_by(col(QuestionLog.text))
    ).all()
    counted = sorted(((text, int(n)) for text, n in rows), key=lambda r: (-r[1], r[0]))
    found = Unanswered(
        group_similar(counted[:limit], analyzer),
        int(asked),
        len(counted),
        min(limit, len(counted)),
    )
    kept[key] = found
    if len(kept) > _KEPT:
        kept.popitem(last=False)
    return found
