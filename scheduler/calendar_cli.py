"""python -m bot calendar YEAR [--json]: the occasions and when each tip is pushed."""

from __future__ import annotations

import json
from typing import Any

from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.schema import prepare
from scheduler.calendar import push_time
from scheduler.tips_schedule import calendar_rows

__all__ = ["print_calendar"]


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
    print(f"{year} 年节日与消费提示推送时间（{settings.timezone}）")
    for r in rows:
        line = f"{r['date']}  {r['occasion']:<14}推送 {r['push_at'][:16].replace('T', ' ')}"
        if r["days_off"]:
            line += (
                f"  放假 {r['days_off'][0][5:]}~{r['days_off'][-1][5:]}（{len(r['days_off'])}天）"
            )
        if r["workdays"]:
            line += "  调休上班 " + "、".join(d[5:] for d in r["workdays"])
        print(line)
    return 0
