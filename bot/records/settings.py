"""When an enterprise checks: its daily time and deadline, rest days, holidays and closing days."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.records.models import DayOff, Enterprise

__all__ = [
    "WEEKDAYS",
    "add_days_off",
    "days_off",
    "rest_day_names",
    "set_check_time",
    "set_holidays_off",
    "set_rest_days",
]

WEEKDAYS = "一二三四五六日"
_HHMM = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def _hhmm(text: str) -> str | None:
    found = _HHMM.match(text.strip())
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else None


def rest_day_names(enterprise: Enterprise) -> str:
    """The weekly rest days as 周六、周日."""
    return "、".join(f"周{WEEKDAYS[int(d)]}" for d in sorted(enterprise.closed_weekdays))


def set_check_time(session: Session, enterprise: Enterprise, words: list[str]) -> str:
    """`HH:MM [HH:MM]`: the reminder time and the deadline; an error message or ''."""
    times = [_hhmm(w) for w in words]
    if not 1 <= len(times) <= 2 or None in times:
        return "时间格式应为 08:30，例如 /check_time 08:30 17:00"
    check = times[0]
    deadline = times[1] if len(times) == 2 else enterprise.deadline
    assert check is not None and deadline is not None
    if deadline <= check:
        return f"截止时间（{deadline}）应晚于检查时间（{check}）"
    enterprise.check_time, enterprise.deadline = check, deadline
    session.add(enterprise)
    session.commit()
    return ""


def set_rest_days(session: Session, enterprise: Enterprise, words: list[str]) -> str:
    """`六 日` or `无`: the weekly rest days; an error message or ''."""
    text = "".join(words).replace("周", "").replace("星期", "").replace("天", "日")
    text = re.sub(r"[,，、\s]", "", text)
    if text in ("无", "没有"):
        days = ""
    elif text and all(c in WEEKDAYS for c in text):
        days = "".join(sorted({str(WEEKDAYS.index(c)) for c in text}))
    else:
        return "请写星期几，例如 /rest_days 六 日；没有固定休息日写 /rest_days 无"
    if len(days) == 7:
        return "不能每天都休息"
    enterprise.closed_weekdays = days
    session.add(enterprise)
    session.commit()
    return ""


def set_holidays_off(session: Session, enterprise: Enterprise, words: list[str]) -> str:
    """`是` (public holidays are days off) or `否`; an error message or ''."""
    answer = "".join(words)
    if answer not in ("是", "否"):
        return "请写 /holidays_off 是（节假日休息）或 /holidays_off 否（节假日照常营业）"
    enterprise.holidays_off = answer == "是"
    session.add(enterprise)
    session.commit()
    return ""


def add_days_off(session: Session, enterprise: Enterprise, words: list[str], *, by: int) -> str:
    """`YYYY-MM-DD …`: closing days; an error message or ''."""
    try:
        days = [date.fromisoformat(w) for w in words]
    except ValueError:
        days = []
    if not days or len(days) > 31:
        return "日期格式应为 2027-03-05，一次最多 31 天，例如 /day_off 2027-03-05 2027-03-06"
    assert enterprise.id is not None
    for day in days:
        session.add(DayOff(enterprise_id=enterprise.id, day=day, created_by=by))
        try:
            session.commit()
        except IntegrityError:  # already a closing day
            session.rollback()
    return ""


def days_off(session: Session, enterprise_id: int, since: date) -> list[date]:
    """The enterprise's closing days from `since` on."""
    return list(
        session.exec(
            select(col(DayOff.day))
            .where(DayOff.enterprise_id == enterprise_id, col(DayOff.day) >= since)
            .order_by(col(DayOff.day))
        ).all()
    )
