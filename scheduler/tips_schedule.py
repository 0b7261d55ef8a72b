"""The tip push schedule kept in the database, and which occasion is current (no telegram)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.broadcasts.schedule import audit_note
from bot.broadcasts.services import create_broadcast
from bot.config import Settings
from bot.models import Broadcast, CustomOccasion, ScheduledPush, as_utc
from bot.render import render
from bot.users import audit
from knowledge.tips import Tip
from scheduler.calendar import ADMIN_SET, NAMES, Occasion, occasions_for_year, push_time

__all__ = [
    "PushDecision",
    "calendar_rows",
    "claim_push",
    "current_occasion",
    "custom_rows",
    "decide_missed",
    "ensure_schedule",
    "find_occasion",
    "occasion_push_at",
    "planned_pushes",
    "send_tip_now",
    "set_custom_occasion",
    "tip_key",
    "tip_text",
]

logger = logging.getLogger(__name__)


def custom_rows(session: Session) -> list[tuple[str, str, date, str | None]]:
    """Admin-set occasions as (key, name, day, tip_text); each custom event keeps its own key."""
    return [
        (c.key if c.key in ADMIN_SET else f"custom-{c.id}", c.name, c.day, c.tip_text)
        for c in session.exec(select(CustomOccasion).order_by(col(CustomOccasion.day))).all()
    ]


def set_custom_occasion(
    session: Session, *, key: str, day: date, name: str | None = None, text: str | None = None
) -> CustomOccasion:
    """Set 开学季/宣传周 for a year, or add a custom event (key 'custom' with a tip text)."""
    row: CustomOccasion | None = None
    if key in ADMIN_SET:
        same_key = session.exec(select(CustomOccasion).where(CustomOccasion.key == key)).all()
        row = next((r for r in same_key if r.day.year == day.year), None)
    row = row or CustomOccasion(key=key, name=name or NAMES.get(key, key), day=day)
    row.day = day
    row.name = name or NAMES.get(key, row.name)
    row.tip_text = text
    session.add(row)
    session.commit()
    return row


def tip_key(occasion_key: str, year: int) -> str:
    """The broadcast key of an occasion's tip: it reaches people once a year, sent early by
    staff or by the schedule."""
    return f"tip:{occasion_key}:{year}"


def tip_text(tips: Mapping[str, Tip], occasion: Occasion) -> str | None:
    """The tip message for an occasion as subscribers get it (None when it has no tip)."""
    if occasion.custom_text:
        return render(
            "tip_custom", name=occasion.name, day=occasion.day, text=occasion.custom_text
        )
    tip = tips.get(occasion.key)
    if tip is None:
        return None
    title, body = tip.render(year=occasion.day.year, day=occasion.day)
    return render("tip_message", title=title, body=body, day=occasion.day)


def calendar_rows(session: Session, year: int) -> list[Occasion]:
    """The year's occasions including the admin-set ones."""
    return occasions_for_year(year, custom_rows(session))


def ensure_schedule(session: Session, settings: Settings, years: list[int], *, today: date) -> int:
    """Create the missing rows for occasions after today; returns how many were added."""
    have = {
        (r.occasion, r.year): r
        for r in session.exec(select(ScheduledPush).where(col(ScheduledPush.year).in_(years)))
    }
    added = 0
    for year in years:
        for occasion in calendar_rows(session, year):
            key = occasion.key
            if occasion.day <= today:
                continue
            when = push_time(
                occasion.day,
                days_before=settings.tip_days_before,
                at=settings.tip_push_time,
                tz=settings.tz,
            )
            row = have.get((key, year))
            if row is not None:
                if row.status == "planned" and row.festival_date != occasion.day:
                    # An admin moved 开学季/宣传周: the push follows the new date.
                    row.festival_date, row.push_at = occasion.day, when.astimezone()
                    session.add(row)
                continue
            session.add(
                ScheduledPush(
                    occasion=key, year=year, festival_date=occasion.day, push_at=when.astimezone()
                )
            )
            added += 1
    try:
        session.commit()
    except IntegrityError:
        # Workers started together seed the same rows: the first one's stand, ours are moot.
        session.rollback()
        return 0
    return added


def planned_pushes(session: Session, *, due_by: datetime | None = None) -> list[ScheduledPush]:
    """Pushes not yet sent or dropped, soonest first (only those due by due_by, if given)."""
    query = select(ScheduledPush).where(ScheduledPush.status == "planned")
    if due_by is not None:
        query = query.where(col(ScheduledPush.push_at) <= due_by)
    return list(session.exec(query.order_by(col(ScheduledPush.push_at))).all())


@dataclass(frozen=True, slots=True)
class PushDecision:
    """What to do with a planned push at a given moment."""

    action: str  # wait | send | drop
    delay: timedelta = timedelta(0)


def decide_missed(push: ScheduledPush, *, now: datetime, tz: object) -> PushDecision:
    """Due pushes are sent while the occasion has not begun; later ones are dropped."""
    due = as_utc(push.push_at)
    if due > now:
        return PushDecision("wait", due - now)
    today = now.astimezone(tz).date()  # type: ignore[arg-type]
    if today < push.festival_date:
        return PushDecision("send")
    return PushDecision("drop")


def claim_push(session: Session, push_id: int, *, status: str, note: str = "") -> bool:
    """Move a push out of 'planned' exactly once (several workers may race for it)."""
    result = session.exec(
        update(ScheduledPush)
        .where(col(ScheduledPush.id) == push_id, col(ScheduledPush.status) == "planned")
        .values(status=status, note=note)
    )
    session.commit()
    return bool(result.rowcount == 1)


def current_occasion(session: Session, today: date) -> Occasion | None:
    """The occasion under way (its first three days) or else the next one ahead."""
    candidates = calendar_rows(session, today.year) + calendar_rows(session, today.year + 1)
    under_way = [o for o in candidates if o.day <= today <= o.day + timedelta(days=2)]
    if under_way:
        # The latest to begin: on 正月初一 that is 春节, not 除夕 the day before.
        return under_way[-1]
    return next((o for o in candidates if o.day > today), None)


def find_occasion(session: Session, key_or_name: str, today: date) -> Occasion | None:
    """An occasion by key or Chinese name, the next time it happens (this year or next)."""
    wanted = key_or_name.strip()
    for occasion in calendar_rows(session, today.year) + calendar_rows(session, today.year + 1):
        if occasion.day < today - timedelta(days=2):
            continue
        if wanted in (occasion.key, occasion.name) or wanted in occasion.name:
            return occasion
    return None


def occasion_push_at(settings: Settings, day: date) -> datetime:
    """When the tip of an occasion on this day is pushed (the settings' days before, time)."""
    return push_time(
        day, days_before=settings.tip_days_before, at=settings.tip_push_time, tz=settings.tz
    )


def send_tip_now(
    session: Session,
    *,
    occasion: Occasion,
    text: str,
    admin_id: int,
    respect_quiet_hours: bool = True,
    send_after: datetime | None = None,
) -> Broadcast:
    """Queue the tip to every tips subscriber now or at send_after (/tips_send, the console).

    The scheduled push uses the same key: an occasion's tip reaches people once a year, whether
    an admin sent it early or the schedule did. A tip already sent returns that broadcast.
    """
    broadcast = create_broadcast(
        session,
        kind="tip",
        topic="tips",
        text=text,
        created_by=admin_id,
        progress_chat_id=admin_id,
        key=tip_key(occasion.key, occasion.day.year),
        respect_quiet_hours=respect_quiet_hours,
        send_after=send_after,
    )
    when = audit_note(send_after)
    audit(
        session,
        actor_id=admin_id,
        action="tips:send",
        detail=f"{occasion.key} {occasion.day.isoformat()} #{broadcast.id}{when}",
    )
    return broadcast
