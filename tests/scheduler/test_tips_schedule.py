"""The push schedule in the database: idempotent, missed-push decisions, claimed exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.config import Settings
from bot.models import ScheduledPush, as_utc
from scheduler.tips_schedule import (
    PushDecision,
    claim_push,
    current_occasion,
    decide_missed,
    ensure_schedule,
    find_occasion,
    planned_pushes,
    set_custom_occasion,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def rows(session: Session) -> list[ScheduledPush]:
    return list(session.exec(select(ScheduledPush).order_by(ScheduledPush.id)).all())  # type: ignore[arg-type]


def push_for(session: Session, occasion: str, year: int) -> ScheduledPush:
    return session.exec(
        select(ScheduledPush).where(ScheduledPush.occasion == occasion, ScheduledPush.year == year)
    ).one()


def test_ensure_schedule_creates_future_occasions_once(
    session: Session, settings: Settings
) -> None:
    added = ensure_schedule(session, settings, [2026], today=date(2026, 1, 1))
    # 元旦 is today, so it is not planned; the other nine occasions of 2026 are.
    assert added == 9
    assert [r.occasion for r in rows(session)] == [
        "spring_festival_eve", "spring_festival", "lantern", "consumer_day", "qingming",
        "labour_day", "dragon_boat", "mid_autumn", "national_day",
    ]  # fmt: skip
    before = [(r.id, r.occasion, r.push_at, r.status) for r in rows(session)]
    assert ensure_schedule(session, settings, [2026], today=date(2026, 1, 1)) == 0
    assert ensure_schedule(session, settings, [2026], today=date(2026, 2, 1)) == 0
    assert [(r.id, r.occasion, r.push_at, r.status) for r in rows(session)] == before


def test_push_rows_hold_utc_of_ten_oclock_shanghai(session: Session, settings: Settings) -> None:
    ensure_schedule(session, settings, [2026], today=date(2026, 1, 1))
    festival = push_for(session, "spring_festival", 2026)
    assert festival.festival_date == date(2026, 2, 17)
    assert as_utc(festival.push_at) == datetime(2026, 2, 14, 2, 0, tzinfo=UTC)
    assert festival.status == "planned"


def test_ensure_schedule_covers_next_year_and_admin_set_dates(
    session: Session, settings: Settings
) -> None:
    set_custom_occasion(session, key="food_safety_week", day=date(2027, 6, 14))
    custom = set_custom_occasion(
        session, key="custom", day=date(2027, 7, 1), name="夏季专项", text="注意冷链食品"
    )
    same_day = set_custom_occasion(
        session, key="custom", day=date(2027, 7, 1), name="冷链专项", text="冷冻食品看标签"
    )
    ensure_schedule(session, settings, [2026, 2027], today=date(2026, 11, 30))
    keys = {(r.occasion, r.year) for r in rows(session)}
    assert ("national_day", 2026) not in keys  # already past
    assert ("new_year", 2027) in keys
    assert ("food_safety_week", 2027) in keys
    # Two events on one day are two pushes.
    assert (f"custom-{custom.id}", 2027) in keys
    assert (f"custom-{same_day.id}", 2027) in keys
    week = push_for(session, "food_safety_week", 2027)
    assert as_utc(week.push_at) == datetime(2027, 6, 11, 2, 0, tzinfo=UTC)


def test_moving_an_admin_set_date_moves_its_planned_push(
    session: Session, settings: Settings
) -> None:
    set_custom_occasion(session, key="food_safety_week", day=date(2027, 6, 14))
    ensure_schedule(session, settings, [2027], today=date(2026, 11, 30))
    set_custom_occasion(session, key="food_safety_week", day=date(2027, 6, 21))
    ensure_schedule(session, settings, [2027], today=date(2026, 11, 30))
    week = push_for(session, "food_safety_week", 2027)
    assert week.festival_date == date(2027, 6, 21)
    assert as_utc(week.push_at) == datetime(2027, 6, 18, 2, 0, tzinfo=UTC)
    assert sum(r.occasion == "food_safety_week" for r in rows(session)) == 1


def test_set_custom_occasion_keeps_one_row_per_admin_key_and_year(session: Session) -> None:
    first = set_custom_occasion(session, key="spring_school", day=date(2027, 2, 20))
    again = set_custom_occasion(session, key="spring_school", day=date(2027, 2, 22))
    other_year = set_custom_occasion(session, key="spring_school", day=date(2028, 2, 21))
    assert again.id == first.id
    assert again.day == date(2027, 2, 22)
    assert other_year.id != first.id
    assert again.name == "春季开学季"


def make_push(festival: date, push_at: datetime) -> ScheduledPush:
    return ScheduledPush(
        id=1, occasion="spring_festival", year=festival.year, festival_date=festival,
        push_at=push_at.replace(tzinfo=None),  # as SQLite gives it back
    )  # fmt: skip


PUSH_AT = datetime(2026, 2, 14, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
FESTIVAL = date(2026, 2, 17)


def test_decide_wait_until_due() -> None:
    push = make_push(FESTIVAL, PUSH_AT)
    now = PUSH_AT - timedelta(hours=5, seconds=30)
    assert decide_missed(push, now=now, tz=SHANGHAI) == PushDecision(
        "wait", timedelta(hours=5, seconds=30)
    )


def test_decide_send_when_due_or_missed_before_the_occasion() -> None:
    push = make_push(FESTIVAL, PUSH_AT)
    assert decide_missed(push, now=PUSH_AT, tz=SHANGHAI).action == "send"
    # Down for two days: it is the eve (23:59 in Shanghai) and the occasion has not begun.
    eve = datetime(2026, 2, 16, 23, 59, tzinfo=SHANGHAI).astimezone(UTC)
    assert decide_missed(push, now=eve, tz=SHANGHAI) == PushDecision("send")


def test_decide_drop_once_the_occasion_began_in_local_time() -> None:
    push = make_push(FESTIVAL, PUSH_AT)
    # 16:30 UTC on the 16th is already 00:30 on the 17th in Shanghai: the festival began.
    assert decide_missed(
        push, now=datetime(2026, 2, 16, 16, 30, tzinfo=UTC), tz=SHANGHAI
    ) == PushDecision("drop")
    assert decide_missed(push, now=datetime(2026, 3, 1, tzinfo=UTC), tz=SHANGHAI).action == "drop"


def test_claim_push_moves_it_out_of_planned_exactly_once(
    session: Session, settings: Settings
) -> None:
    ensure_schedule(session, settings, [2026], today=date(2026, 1, 1))
    push = push_for(session, "spring_festival", 2026)
    assert push.id is not None
    assert claim_push(session, push.id, status="sent") is True
    assert claim_push(session, push.id, status="sent") is False
    assert claim_push(session, push.id, status="dropped", note="late") is False
    session.refresh(push)
    assert (push.status, push.note) == ("sent", "")
    assert push.id not in {p.id for p in planned_pushes(session)}


def test_planned_pushes_soonest_first(session: Session, settings: Settings) -> None:
    ensure_schedule(session, settings, [2026], today=date(2026, 6, 1))
    assert [p.occasion for p in planned_pushes(session)] == [
        "dragon_boat",
        "mid_autumn",
        "national_day",
    ]


def test_current_occasion_is_the_one_under_way_or_the_next(session: Session) -> None:
    assert current_occasion(session, date(2026, 6, 10)).key == "dragon_boat"  # type: ignore[union-attr]
    assert current_occasion(session, date(2026, 6, 21)).key == "dragon_boat"  # type: ignore[union-attr]
    assert current_occasion(session, date(2026, 6, 22)).key == "mid_autumn"  # type: ignore[union-attr]
    assert current_occasion(session, date(2026, 12, 20)).key == "new_year"  # type: ignore[union-attr]


def test_on_spring_festival_day_the_spring_festival_tip_is_current(session: Session) -> None:
    # 除夕 (the 16th) is still within its first three days, but 正月初一 has begun.
    assert current_occasion(session, date(2026, 2, 16)).key == "spring_festival_eve"  # type: ignore[union-attr]
    assert current_occasion(session, date(2026, 2, 17)).key == "spring_festival"  # type: ignore[union-attr]
    assert current_occasion(session, date(2026, 2, 18)).key == "spring_festival"  # type: ignore[union-attr]


def test_find_occasion_by_key_or_chinese_name(session: Session) -> None:
    today = date(2026, 11, 30)
    assert find_occasion(session, "端午", today).day == date(2027, 6, 9)  # type: ignore[union-attr]
    assert find_occasion(session, "mid_autumn", today).day == date(2027, 9, 15)  # type: ignore[union-attr]
    assert find_occasion(session, "元旦", today).day == date(2027, 1, 1)  # type: ignore[union-attr]
    assert find_occasion(session, "万圣节", today) is None
