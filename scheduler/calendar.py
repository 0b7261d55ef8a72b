"""The occasion calendar: statutory holidays from `holidays`, lunar festivals computed.

Lunar dates come from `lunardate` (1900-2099), so no year is hard-coded; the official days
off and 调休 working days come from the maintained `holidays` package, which knows the State
Council's notices for past years and computes the festivals for later ones (then without 调休).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from lunardate import LunarDate

__all__ = [
    "ADMIN_SET",
    "NAMES",
    "Occasion",
    "days_off_published",
    "occasions_for_year",
    "push_time",
]

NAMES = {
    "new_year": "元旦",
    "spring_festival_eve": "除夕",
    "spring_festival": "春节",
    "lantern": "元宵节",
    "consumer_day": "3·15国际消费者权益日",
    "qingming": "清明节",
    "labour_day": "劳动节",
    "dragon_boat": "端午节",
    "spring_school": "春季开学季",
    "mid_autumn": "中秋节",
    "autumn_school": "秋季开学季",
    "national_day": "国庆节",
    "food_safety_week": "食品安全宣传周",
}
ADMIN_SET = ("spring_school", "autumn_school", "food_safety_week")
# The holiday names the `holidays` package uses for each statutory occasion.
_STATUTORY = {
    "new_year": "元旦",
    "spring_festival": "春节",
    "qingming": "清明节",
    "labour_day": "劳动节",
    "dragon_boat": "端午节",
    "mid_autumn": "中秋节",
    "national_day": "国庆节",
}
_SWAP = re.compile(r"由 (\d{4}-\d{2}-\d{2}) 调休")


@dataclass(frozen=True, slots=True)
class Occasion:
    """One occasion in one year, with its statutory days off and 调休 working days."""

    key: str
    name: str
    day: date
    days_off: tuple[date, ...] = field(default=())
    workdays: tuple[date, ...] = field(default=())
    custom_text: str | None = None


@cache
def _holidays(year: int) -> dict[date, str]:
    table: dict[date, str] = dict(
        holidays.country_holidays("CN", years=year, language="zh_CN").items()
    )
    return table


def days_off_published(year: int) -> bool:
    """True when the year's days off are the State Council's notice, not computed.

    `holidays` lists 调休 working days only for the years whose notice it knows; for later
    years it computes the festival days alone.
    """
    return any(_SWAP.search(name) for name in _holidays(year).values())


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def _statutory_days(year: int, day: date) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """The break around `day` (holidays plus adjacent weekends) and its 调休 working days."""
    table = _holidays(year - 1) | _holidays(year) | _holidays(year + 1)
    if day not in table:
        return (), ()
    swapped = {date.fromisoformat(m.group(1)) for n in table.values() if (m := _SWAP.search(n))}

    def off(d: date) -> bool:
        return d in table or (d.weekday() >= 5 and d not in swapped)

    start = end = day
    while off(start - timedelta(days=1)):
        start -= timedelta(days=1)
    while off(end + timedelta(days=1)):
        end += timedelta(days=1)
    days_off = tuple(start + timedelta(days=i) for i in range((end - start).days + 1))
    workdays = sorted(
        {date.fromisoformat(m.group(1)) for d in days_off if (m := _SWAP.search(table.get(d, "")))}
    )
    return days_off, tuple(workdays)


def _fixed(year: int) -> dict[str, date]:
    new_year = _lunar(year, 1, 1)
    qingming = next(
        (d for d, n in sorted(_holidays(year).items()) if n == "清明节"), date(year, 4, 5)
    )
    return {
        "new_year": date(year, 1, 1),
        "spring_festival_eve": new_year - timedelta(days=1),
        "spring_festival": new_year,
        "lantern": _lunar(year, 1, 15),
        "consumer_day": date(year, 3, 15),
        "qingming": qingming,
        "labour_day": date(year, 5, 1),
        "dragon_boat": _lunar(year, 5, 5),
        "mid_autumn": _lunar(year, 8, 15),
        "national_day": date(year, 10, 1),
    }


def occasions_for_year(
    year: int, custom: Iterable[tuple[str, str, date, str | None]] = ()
) -> list[Occasion]:
    """Every occasion of the year in date order; custom rows are (key, name, day, tip_text)."""
    found: list[Occasion] = []
    for key, day in _fixed(year).items():
        off, work = _statutory_days(year, day) if key in _STATUTORY else ((), ())
        found.append(Occasion(key, NAMES[key], day, off, work))
    for key, name, day, text in custom:
        if day.year == year:
            found.append(Occasion(key, name or NAMES.get(key, key), day, custom_text=text))
    return sorted(found, key=lambda o: (o.day, o.key))


def push_time(day: date, *, days_before: int, at: time, tz: ZoneInfo) -> datetime:
    """When the tip for an occasion on `day` goes out (aware, in tz)."""
    return datetime.combine(day - timedelta(days=days_before), at, tzinfo=tz)
