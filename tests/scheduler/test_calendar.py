"""The occasion calendar against published dates, beyond the library's data, and push times."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduler.calendar import NAMES, Occasion, occasions_for_year, push_time
from scheduler.calendar_cli import print_calendar
from tests.conftest import make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def by_key(year: int) -> dict[str, Occasion]:
    return {o.key: o for o in occasions_for_year(year)}


@pytest.mark.parametrize(
    ("key", "day"),
    [
        ("spring_festival", date(2025, 1, 29)),
        ("spring_festival", date(2026, 2, 17)),
        ("spring_festival", date(2027, 2, 6)),
        ("mid_autumn", date(2025, 10, 6)),
        ("mid_autumn", date(2026, 9, 25)),
        ("mid_autumn", date(2027, 9, 15)),
        ("dragon_boat", date(2026, 6, 19)),
        ("dragon_boat", date(2027, 6, 9)),
        ("spring_festival_eve", date(2026, 2, 16)),  # 除夕: the day before 正月初一
        ("lantern", date(2026, 3, 3)),  # 正月十五
        ("qingming", date(2026, 4, 5)),
        ("new_year", date(2026, 1, 1)),
        ("consumer_day", date(2026, 3, 15)),
        ("labour_day", date(2026, 5, 1)),
        ("national_day", date(2026, 10, 1)),
    ],
)
def test_known_dates(key: str, day: date) -> None:
    occasion = by_key(day.year)[key]
    assert occasion.day == day
    assert occasion.name == NAMES[key]


def test_2026_spring_festival_break_and_make_up_workdays() -> None:
    festival = by_key(2026)["spring_festival"]
    assert festival.days_off == tuple(date(2026, 2, 15) + timedelta(days=i) for i in range(9))
    assert festival.workdays == (date(2026, 2, 14), date(2026, 2, 28))


def test_2025_national_day_and_mid_autumn_share_one_break() -> None:
    occasions = by_key(2025)
    expected = tuple(date(2025, 10, 1) + timedelta(days=i) for i in range(8))
    assert occasions["national_day"].days_off == expected
    assert occasions["mid_autumn"].days_off == expected
    assert occasions["national_day"].workdays == (date(2025, 9, 28), date(2025, 10, 11))


def test_every_year_lists_each_occasion_once_in_date_order() -> None:
    occasions = occasions_for_year(2026)
    assert [o.key for o in occasions] == [
        "new_year", "spring_festival_eve", "spring_festival", "lantern", "consumer_day",
        "qingming", "labour_day", "dragon_boat", "mid_autumn", "national_day",
    ]  # fmt: skip
    assert [o.day for o in occasions] == sorted(o.day for o in occasions)


def test_a_year_beyond_the_official_notices_still_has_its_lunar_festivals() -> None:
    occasions = by_key(2035)
    assert occasions["spring_festival_eve"].day == date(2035, 2, 7)
    assert occasions["spring_festival"].day == date(2035, 2, 8)
    assert occasions["lantern"].day == date(2035, 2, 22)
    assert occasions["dragon_boat"].day == date(2035, 6, 10)
    assert occasions["mid_autumn"].day == date(2035, 9, 16)
    # The statutory days off are computed by the library; no notice means no 调休 yet.
    assert date(2035, 2, 8) in occasions["spring_festival"].days_off
    assert all(not o.workdays for o in occasions.values())


def test_admin_set_and_custom_occasions_join_their_year() -> None:
    custom = [
        ("food_safety_week", "", date(2026, 6, 15), None),
        ("custom", "夏季食品安全专项行动", date(2026, 7, 1), "注意冷链食品"),
        ("custom", "明年的活动", date(2027, 7, 1), "不属于 2026"),
    ]
    occasions = occasions_for_year(2026, custom)
    week = next(o for o in occasions if o.key == "food_safety_week")
    assert (week.name, week.day) == ("食品安全宣传周", date(2026, 6, 15))
    event = next(o for o in occasions if o.key == "custom")
    assert (event.name, event.day, event.custom_text) == (
        "夏季食品安全专项行动",
        date(2026, 7, 1),
        "注意冷链食品",
    )
    assert sum(o.key == "custom" for o in occasions) == 1


def test_push_time_is_three_days_before_at_ten_shanghai_time() -> None:
    at = push_time(date(2026, 2, 17), days_before=3, at=time(10, 0), tz=SHANGHAI)
    assert at == datetime(2026, 2, 14, 10, 0, tzinfo=SHANGHAI)
    assert at.isoformat() == "2026-02-14T10:00:00+08:00"
    assert at.astimezone(UTC) == datetime(2026, 2, 14, 2, 0, tzinfo=UTC)


def test_push_time_follows_the_settings() -> None:
    settings = make_settings(tip_days_before=5, tip_push_time=time(9, 30))
    at = push_time(
        date(2026, 10, 1),
        days_before=settings.tip_days_before,
        at=settings.tip_push_time,
        tz=settings.tz,
    )
    assert at.isoformat() == "2026-09-26T09:30:00+08:00"


def test_calendar_cli_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/cal.db")
    assert print_calendar(settings, 2026, as_json=True) == 0
    rows = json.loads(capsys.readouterr().out)
    festival = next(r for r in rows if r["occasion"] == "春节")
    assert festival["date"] == "2026-02-17"
    assert festival["push_at"] == "2026-02-14T10:00:00+08:00"
    assert all({"occasion", "date", "push_at"} <= set(r) for r in rows)


def test_calendar_cli_refuses_years_outside_the_lunar_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/cal.db")
    assert print_calendar(settings, 2100, as_json=False) == 2
    assert "1901-2099" in capsys.readouterr().out


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_calendar_cli_says_a_computed_year_awaits_the_notice_and_aligns_its_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/cal.db")
    assert print_calendar(settings, 2027, as_json=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == (
        "注：国务院办公厅尚未发布 2027 年放假安排，以上放假日期按节日推算，"
        "调休上班日期待公布后为准。"
    )
    [dragon_boat] = [line for line in lines if "端午节" in line]
    assert dragon_boat.split("推送")[1].split()[2:] == ["放假", "06-09（1天）", "调休待公布"]
    rows = [line for line in lines if line.startswith("2027-")]
    # 推送, 放假 and 调休 start in the same terminal column on every line that has them.
    for word in ("推送", "放假", "调休"):
        columns = {_display_width(line[: line.index(word)]) for line in rows if word in line}
        assert len(columns) == 1, (word, columns)


def test_calendar_cli_shows_the_published_swapped_workdays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/cal.db")
    assert print_calendar(settings, 2026, as_json=False) == 0
    out = capsys.readouterr().out
    [spring] = [line for line in out.splitlines() if "春节" in line]
    assert spring.endswith("放假 02-15~02-23（9天）  调休上班 02-14、02-28")
    assert "尚未发布" not in out
