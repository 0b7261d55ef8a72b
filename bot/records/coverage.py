"""The regulator's view: per township and sector, how real the 日管控/周排查/月调度 system is."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from bot.models import as_utc
from bot.records.daily import public_holidays
from bot.records.models import (
    DailyRecord,
    DayOff,
    Enterprise,
    MonthlyMinutes,
    Problem,
    WeeklyReport,
)
from bot.records.reports import period_end
from knowledge.checklists import SECTORS

__all__ = ["Group", "coverage", "expected_days"]


@dataclass
class Group:
    """One township and sector (or the whole county) and its figures."""

    township: str
    sector: str
    enterprises: int = 0
    expected_days: int = 0
    checked_days: int = 0
    on_time_days: int = 0
    open_problems: int = 0
    oldest_open_days: int = 0
    weekly_expected: int = 0
    weekly_reports: int = 0
    monthly_done: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def on_time_share(self) -> float:
        """Days checked on time out of the days a check was expected."""
        return self.on_time_days / self.expected_days if self.expected_days else 1.0

    def as_json(self) -> dict[str, Any]:
        """The figures for `records coverage --json`."""
        data = asdict(self)
        data.pop("ids")
        data["sector_name"] = SECTORS.get(self.sector, self.sector)
        data["on_time_share"] = round(self.on_time_share, 4)
        return data


def _working_days(first: date, last: date, closed_weekdays: str, holidays_off: bool) -> list[date]:
    """Days in [first, last] that are neither weekly rest days nor (if chosen) holidays."""
    days = []
    day = first
    while day <= last:
        rest = str(day.weekday()) in closed_weekdays
        if not rest and not (holidays_off and day in public_holidays(day.year)):
            days.append(day)
        day += timedelta(days=1)
    return days


def expected_days(
    enterprise: Enterprise, first: date, last: date, closed: set[date], tz: ZoneInfo
) -> list[date]:
    """The days between first and last (inclusive) on which a daily record was due."""
    joined = as_utc(enterprise.created_at).astimezone(tz).date()
    working = _working_days(
        max(first, joined), last, enterprise.closed_weekdays, enterprise.holidays_off
    )
    return [d for d in working if d not in closed]


def _mondays(first: date, last: date) -> list[date]:
    start = first + timedelta(days=(7 - first.weekday()) % 7)
    return (
        [start + timedelta(days=7 * n) for n in range(((last - start).days // 7) + 1)]
        if start <= last
        else []
    )


def coverage(
    session: Session,
    month: date,
    *,
    now: datetime,
    tz: ZoneInfo,
    enterprise_ids: list[int] | None = None,
) -> tuple[list[Group], Group]:
    """Figures per (township, sector) for the month up to today, and the county's total."""
    today = as_utc(now).astimezone(tz).date()
    first, last = month, min(period_end("monthly", month), today)
    query = sa_select(
        col(Enterprise.id),
        col(Enterprise.township),
        col(Enterprise.sector),
        col(Enterprise.created_at),
        col(Enterprise.closed_weekdays),
        col(Enterprise.holidays_off),
    )
    if enterprise_ids is not None:
        query = query.where(col(Enterprise.id).in_(enterprise_ids))
    enterprises = session.execute(query).all()
    closed: dict[int, set[date]] = defaultdict(set)
    for eid, day in session.exec(
        select(col(DayOff.enterprise_id), col(DayOff.day)).where(
            col(DayOff.day) >= first, col(DayOff.day) <= last
        )
    ).all():
        closed[eid].add(day)
    # one row per enterprise: a record filed on a day off counts (capped at the days due)
    filed = session.exec(
        select(
            col(DailyRecord.enterprise_id),
            func.count(),
            func.sum(case((col(DailyRecord.on_time), 1), else_=0)),
        )
        .where(
            DailyRecord.revision == 0, col(DailyRecord.day) >= first, col(DailyRecord.day) <= last
        )
        .group_by(col(DailyRecord.enterprise_id))
    ).all()
    by_enterprise = {eid: (int(n), int(on_time or 0)) for eid, n, on_time in filed}
    open_rows = session.exec(
        select(col(Problem.enterprise_id), func.count(), func.min(Problem.opened_at))
        .where(col(Problem.fixed_at).is_(None))
        .group_by(col(Problem.enterprise_id))
    ).all()
    open_by = {eid: (int(n), oldest) for eid, n, oldest in open_rows}
    mondays = (
        _mondays(first, last - timedelta(days=6)) if last - timedelta(days=6) >= first else []
    )
    weekly_by = dict(
        session.exec(
            select(col(WeeklyReport.enterprise_id), func.count())
            .where(WeeklyReport.revision == 0, col(WeeklyReport.period).in_(mondays))
            .group_by(col(WeeklyReport.enterprise_id))
        ).all()
    )
    monthly_done = set(
        session.exec(
            select(col(MonthlyMinutes.enterprise_id)).where(
                MonthlyMinutes.revision == 0, MonthlyMinutes.period == month
            )
        ).all()
    )
    groups: dict[tuple[str, str], Group] = {}
    total = Group("全部", "all")
    # the working days of each (rest days, holidays) pattern, computed once
    patterns: dict[tuple[str, bool], list[date]] = {}
    for eid, township, sector, created_at, rest, holidays_off in enterprises:
        group = groups.setdefault((township, sector), Group(township, sector))
        working = patterns.get((rest, holidays_off))
        if working is None:
            working = patterns[(rest, holidays_off)] = _working_days(
                first, last, rest, holidays_off
            )
        joined = as_utc(created_at).astimezone(tz).date()
        skip = bisect_left(working, joined)
        due = (
            len(working)
            - skip
            - sum(1 for d in closed.get(eid, ()) if d >= joined and d in working)
        )
        checked, on_time = by_enterprise.get(eid, (0, 0))
        count, oldest = open_by.get(eid, (0, None))
        age = (now - as_utc(oldest)).days if oldest else 0
        weeks = sum(1 for m in mondays if m >= joined - timedelta(days=6))
        for g in (group, total):
            g.enterprises += 1
            g.ids.append(eid)
            g.expected_days += due
            g.checked_days += min(checked, due)
            g.on_time_days += min(on_time, due)
            g.open_problems += count
            g.oldest_open_days = max(g.oldest_open_days, age)
            g.weekly_expected += weeks
            g.weekly_reports += min(int(weekly_by.get(eid, 0)), weeks)
            g.monthly_done += eid in monthly_done
    ordered = sorted(
        groups.values(),
        key=lambda g: (g.township, list(SECTORS).index(g.sector) if g.sector in SECTORS else 99),
    )
    return ordered, total
