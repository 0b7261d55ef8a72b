"""python -m bot calendar YEAR [--json]: the occasions and when each tip is pushed."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.schema import prepare
from scheduler.calendar import days_off_published, push_time
from scheduler.tips_schedule import calendar_rows

__all__ = ["print_calendar"]


def _width(text: str) -> int:
    """Terminal columns: Chinese characters (wide and full-width) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _days_off(days: list[str]) -> str:
    first, last = days[0][5:], days[-1][5:]
    span = first if first == last else f"{first}~{last}"
    return f"放假 {span}（{len(days)}天）"


def print_calendar(settings: Settings, year: int, *, as_json: bool) -> int:
    """Print the year's occasions (admin-set ones from the database included)."""
    if not 1901 <= year <= 2099:
        print("年份应在 1901-2099 之间（农历换算的范围）")
        return 2
    engine = make_engine(settings.database_url)
    prepare(engine)
    with session_scope(engine) as session:
        occasions = calendar_rows(session, year)
    engine.dispose()
    rows: list[dict[str, Any]] = []
    for o in occasions:
        at = push_time(
            o.day, days_before=settings.tip_days_before, at=settings.tip_push_time, tz=settings.tz
        )
        rows.append(
            {
                "occasion": o.name,
                "key": o.key,
                "date": o.day.isoformat(),
                "push_at": at.isoformat(),
                "days_off": [d.isoformat() for d in o.days_off],
                "workdays": [d.isoformat() for d in o.workdays],
            }
        )
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    published = days_off_published(year)
    print(f"{year} 年节日与消费提示推送时间（{settings.timezone}）")
    name_width = max((_width(r["occasion"]) for r in rows), default=0) + 2
    breaks = [_days_off(r["days_off"]) if r["days_off"] else "" for r in rows]
    break_width = max((_width(b) for b in breaks), default=0) + 2
    for r, days_off in zip(rows, breaks, strict=True):
        push = r["push_at"][:16].replace("T", " ")
        line = f"{r['date']}  {_pad(r['occasion'], name_width)}推送 {push}"
        if days_off:
            line += "  " + _pad(days_off, break_width)
            if r["workdays"]:
                line += "调休上班 " + "、".join(d[5:] for d in r["workdays"])
            elif not published:
                line += "调休待公布"
        print(line.rstrip())
    if not published:
        print(
            f"注：国务院办公厅尚未发布 {year} 年放假安排，以上放假日期按节日推算，"
            "调休上班日期待公布后为准。"
        )
    return 0
