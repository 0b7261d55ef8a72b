"""定时发送 from the console: checked in Chinese, kept on the draft, shown while waiting.

No new routes: the access rules of /broadcasts/new, /{id}/send and /{id}/cancel are in
test_access.py. The console's clock is real time, so the typed times are relative to now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.models import AuditLog, Broadcast
from tests.conftest import ADMIN

SHANGHAI = ZoneInfo("Asia/Shanghai")


def typed_in(delta: timedelta) -> str:
    """A datetime-local value, Beijing time, delta from now (whole minutes)."""
    return (datetime.now(SHANGHAI) + delta).strftime("%Y-%m-%dT%H:%M")


def test_a_bad_time_is_refused_in_chinese_and_kept(client_for, engine) -> None:
    admin = client_for(ADMIN)
    assert 'id="send_at" name="send_at" value=""' in admin.get("/broadcasts/new").text
    cases = [
        ("明天上午", "定时发送时间格式不对，请按“年-月-日 时:分”填写，例如 2027-01-20 09:30。"),
        (typed_in(-timedelta(hours=1)), "定时发送时间不能早于现在。"),
        (typed_in(timedelta(days=31)), "定时发送最多只能安排在 30 天以内。"),
    ]
    for typed, error in cases:
        shown = admin.post(
            "/broadcasts/new",
            data={"csrf": admin.csrf, "text": "通知", "topic": "all", "send_at": typed},
        )
        assert shown.status_code == 400
        assert f'<span class="error" id="error-send_at">{error}</span>' in shown.text
        assert f'name="send_at" value="{typed}"' in shown.text
        assert ">通知</textarea>" in shown.text
    with Session(engine) as session:
        assert session.exec(select(Broadcast)).all() == []


def test_schedule_show_while_waiting_and_cancel(client_for, engine) -> None:
    admin = client_for(ADMIN)
    typed = typed_in(timedelta(days=2))
    shown_at = typed.replace("T", " ")
    preview = admin.post(
        "/broadcasts/new",
        data={"csrf": admin.csrf, "text": "周六宣传活动", "topic": "all", "send_at": typed},
    )
    assert preview.status_code == 200
    assert f'<p id="scheduled">定时：{shown_at}</p>' in preview.text
    assert f'<input type="hidden" name="send_at" value="{typed}">' in preview.text
    assert ">确认定时发送</button>" in preview.text
    with Session(engine) as session:
        draft = session.exec(select(Broadcast)).one()
    sent = admin.post(f"/broadcasts/{draft.id}/send", data={"csrf": admin.csrf, "send_at": typed})
    assert "已定时：到时间后机器人开始发送" in sent.text
    assert f'<p id="scheduled">定时：{shown_at}</p>' in sent.text
    local = datetime.strptime(typed, "%Y-%m-%dT%H:%M").replace(tzinfo=SHANGHAI)
    with Session(engine) as session:
        row = session.get(Broadcast, draft.id, populate_existing=True)
        assert row is not None and row.status == "queued" and row.send_after is not None
        assert row.send_after.replace(tzinfo=UTC) == local.astimezone(UTC)
    listed = admin.get("/tips")
    assert f'<span class="scheduled">定时：{shown_at}</span>' in listed.text
    cancelled = admin.post(f"/broadcasts/{draft.id}/cancel", data={"csrf": admin.csrf})
    assert "已取消群发" in cancelled.text and 'id="scheduled"' not in cancelled.text
    with Session(engine) as session:
        assert session.get(Broadcast, draft.id).status == "cancelled"
        assert session.exec(
            select(AuditLog.action)
            .where(col(AuditLog.action).startswith("broadcast:"))
            .order_by(col(AuditLog.id))
        ).all() == ["broadcast:start", "broadcast:cancel"]


def test_a_time_passed_before_confirming_is_refused(client_for, engine) -> None:
    admin = client_for(ADMIN)
    admin.post("/broadcasts/new", data={"csrf": admin.csrf, "text": "通知", "topic": "all"})
    with Session(engine) as session:
        draft = session.exec(select(Broadcast)).one()
    late = admin.post(
        f"/broadcasts/{draft.id}/send",
        data={"csrf": admin.csrf, "send_at": typed_in(-timedelta(minutes=1))},
    )
    assert late.status_code == 409
    assert "定时发送时间不能早于现在。请重新预览。" in late.text
    with Session(engine) as session:
        assert session.get(Broadcast, draft.id).status == "draft"


def tip_link(admin) -> str:
    """The calendar's send link for next year's 国庆 tip."""
    calendar = admin.get("/tips", params={"year": str(datetime.now(UTC).year + 1)})
    [link] = [
        line.split('href="')[1].split('"')[0]
        for line in calendar.text.splitlines()
        if 'id="send-national_day"' in line
    ]
    return link


def test_schedule_a_tip(client_for, engine) -> None:
    admin = client_for(ADMIN)
    link = tip_link(admin)
    assert 'id="send_at" name="send_at" value=""' in admin.get(link).text
    late = admin.post(link, data={"csrf": admin.csrf, "send_at": "2020-01-01T09:00"})
    assert late.status_code == 400
    assert '<span class="error" id="error-send_at">定时发送时间不能早于现在。</span>' in late.text
    assert 'name="send_at" value="2020-01-01T09:00"' in late.text
    typed = typed_in(timedelta(days=3))
    sent = admin.post(link, data={"csrf": admin.csrf, "send_at": typed}, follow_redirects=False)
    assert sent.headers["location"].endswith("?done=scheduled")
    shown = admin.get(sent.headers["location"])
    assert f'<p id="scheduled">定时：{typed.replace("T", " ")}</p>' in shown.text
    local = datetime.strptime(typed, "%Y-%m-%dT%H:%M").replace(tzinfo=SHANGHAI)
    with Session(engine) as session:
        [row] = session.exec(select(Broadcast)).all()
        assert (row.kind, row.status) == ("tip", "queued")
        assert row.send_after is not None
        assert row.send_after.replace(tzinfo=UTC) == local.astimezone(UTC)
