"""The 审计日志 query: staff actions from the bot and the console, filtered, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.models import AuditLog

__all__ = ["AuditFilter", "action_names", "parse_filter", "search"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIMIT = 200


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Who, which action (prefix), which Beijing-time days, which text in the detail."""

    actor_id: int | None = None
    action: str = ""
    start: date | None = None
    end: date | None = None
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _day(value: str, errors: dict[str, str], name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "日期格式应为 2027-03-01。"
        return None


def parse_filter(values: dict[str, str]) -> AuditFilter:
    """The filter from the form's fields; a bad field gets a Chinese error under its name."""
    errors: dict[str, str] = {}
    actor = values.get("actor", "").strip()
    actor_id = None
    if actor:
        if actor.lstrip("-").isdigit() and len(actor) < 20:
            actor_id = int(actor)
        else:
            errors["actor"] = "用户 ID 应为数字。"
    start = _day(values.get("start", "").strip(), errors, "start")
    end = _day(values.get("end", "").strip(), errors, "end")
    if start and end and start > end:
        errors["end"] = "结束日期不能早于开始日期。"
    return AuditFilter(
        actor_id=actor_id,
        action=values.get("action", "").strip()[:60],
        start=start,
        end=end,
        text=values.get("text", "").strip()[:100],
        errors=errors,
    )


def _utc_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def search(session: Session, flt: AuditFilter, limit: int = LIMIT) -> list[AuditLog]:
    """The newest matching entries (at most limit)."""
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if flt.actor_id is not None:
        query = query.where(AuditLog.actor_id == flt.actor_id)
    if flt.action:
        query = query.where(col(AuditLog.action).startswith(flt.action))
    if flt.start:
        query = query.where(col(AuditLog.at) >= _utc_start(flt.start))
    if flt.end:
        query = query.where(col(AuditLog.at) < _utc_start(flt.end + timedelta(days=1)))
    if flt.text:
        query = query.where(col(AuditLog.detail).contains(flt.text))
    return list(session.exec(query).all())


def action_names(session: Session) -> list[str]:
    """The feature prefixes of the actions logged so far (pending, campaign, exam …)."""
    names = session.exec(select(AuditLog.action).distinct()).all()
    return sorted({n.split(":")[0] for n in names} | set(names))
