"""节日提示与群发 from the console: the bot's previews and services; the bot delivers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.models import AuditLog, Broadcast, CustomOccasion, ScheduledPush
from bot.sandbox.driver import Driver
from tests.conftest import ADMIN
from tests.console.test_pending import deliver_outbox
from tests.scheduler.helpers import add_subscribers

SUBSCRIBERS = [8201, 8202, 8203]


def test_compose_errors_are_shown_and_typing_kept(client_for, engine) -> None:
    admin = client_for(ADMIN)
    assert "新建群发" in admin.get("/broadcasts/new").text
    for blank in ("", " \u3000\n "):  # only spaces would reach Telegram as an empty message
        empty = admin.post(
            "/broadcasts/new", data={"csrf": admin.csrf, "text": blank, "topic": "x"}
        )
        assert empty.status_code == 400
        assert (
            '<span class="error" id="error-text">请填写群发内容（不能只有空格）。</span>'
            in empty.text
        )
    assert '<span class="error" id="error-topic">请选择发送对象。</span>' in empty.text
    long = admin.post(
        "/broadcasts/new", data={"csrf": admin.csrf, "text": "长" * 3501, "topic": "tips"}
    )
    assert "群发内容太长：3501 字，最多 3500 字。" in long.text
    assert '<option value="tips" selected>' in long.text
    with Session(engine) as session:
        assert session.exec(select(Broadcast)).all() == []


async def test_broadcast_preview_send_progress_and_failures(
    driver: Driver, engine, client_for
) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS, "campaigns")
    driver.user(ids[1]).block()  # the bot learns it from the 403
    admin = client_for(ADMIN)
    text = "本周六上午在城关广场开展食品安全宣传活动 <欢迎参加>"
    shown = admin.post(
        "/broadcasts/new", data={"csrf": admin.csrf, "text": text, "topic": "campaigns"}
    )
    assert shown.status_code == 200
    assert "发送对象：你点我检活动，目前 3 人" in shown.text  # the bot's preview sentence
    assert "宣传活动 &lt;欢迎参加&gt;</div>" in shown.text
    with Session(engine) as session:
        draft = session.exec(select(Broadcast)).one()
    assert draft.status == "draft" and draft.text.endswith("&lt;欢迎参加&gt;")
    sent = admin.post(f"/broadcasts/{draft.id}/send", data={"csrf": admin.csrf})
    assert "已开始群发" in sent.text and "排队中" in sent.text
    again = admin.post(f"/broadcasts/{draft.id}/send", data={"csrf": admin.csrf})
    assert again.status_code == 409 and "这份草稿已发送" in again.text
    await deliver_outbox(driver)
    received = [len([m for m in driver.messages(u) if "宣传活动" in (m.text or "")]) for u in ids]
    assert received == [1, 0, 1]
    assert driver.messages(ids[0])[-1].text == text  # as typed, not as markup
    figures = admin.get(f"/broadcasts/{draft.id}/progress").json()
    assert {k: figures[k] for k in ("status", "sent", "blocked", "remaining", "total")} == {
        "status": "done",
        "sent": 2,
        "blocked": 1,
        "remaining": 0,
        "total": 3,
    }
    [(status, error, count)] = figures["failures"]
    assert (status, count) == ("blocked", 1) and "blocked" in error
    page = admin.get(f"/broadcasts/{draft.id}")
    assert "对方已屏蔽机器人或已停用" in page.text and "<script>" not in page.text  # done
    with Session(engine) as session:
        actions = session.exec(select(AuditLog.action)).all()
    assert "broadcast:start" in actions


def test_cancel_a_queued_broadcast(client_for, engine) -> None:
    admin = client_for(ADMIN)
    admin.post("/broadcasts/new", data={"csrf": admin.csrf, "text": "通知", "topic": "all"})
    with Session(engine) as session:
        draft = session.exec(select(Broadcast)).one()
    admin.post(f"/broadcasts/{draft.id}/send", data={"csrf": admin.csrf})
    live = admin.get(f"/broadcasts/{draft.id}")
    assert "<script>" in live.text and 'data-live="1"' in live.text
    done = admin.post(f"/broadcasts/{draft.id}/cancel", data={"csrf": admin.csrf})
    assert "已取消群发" in done.text
    twice = admin.post(f"/broadcasts/{draft.id}/cancel", data={"csrf": admin.csrf})
    assert twice.status_code == 409 and "无法取消" in twice.text
    with Session(engine) as session:
        assert session.get(Broadcast, draft.id).status == "cancelled"
        assert session.exec(
            select(AuditLog.detail).where(AuditLog.action == "broadcast:cancel")
        ).all() == [f"#{draft.id} [工作台]"]
    assert admin.get("/broadcasts/999").status_code == 404


async def test_send_a_tip_now_once_a_year(driver: Driver, engine, client_for) -> None:
    ids = add_subscribers(driver, engine, SUBSCRIBERS, "tips")
    admin = client_for(ADMIN)
    year = datetime.now(UTC).year + 1
    calendar = admin.get("/tips", params={"year": str(year)})
    [link] = [
        line.split('href="')[1].split('"')[0]
        for line in calendar.text.splitlines()
        if 'id="send-national_day"' in line
    ]
    preview = admin.get(link)
    assert "当前订阅者 3 人" in preview.text and "确认立即发送给全部订阅者吗" in preview.text
    assert "国庆" in preview.text
    sent = admin.post(link, data={"csrf": admin.csrf}, follow_redirects=False)
    location = sent.headers["location"]
    assert location.endswith("?done=tip")
    twice = admin.post(link, data={"csrf": admin.csrf}, follow_redirects=False)
    assert twice.headers["location"] == location.replace("done=tip", "done=already")
    assert "今年已经发送过" in admin.get(link).text
    await deliver_outbox(driver)
    assert [len(driver.messages(u)) for u in ids] == [1, 1, 1]
    with Session(engine) as session:
        [broadcast] = session.exec(select(Broadcast)).all()
        assert broadcast.key == f"tip:national_day:{year}"
        assert len(session.exec(select(AuditLog).where(AuditLog.action == "tips:send")).all()) == 2
    assert admin.get(f"/tips/send/national_day/{year}-01-01").status_code == 404


def test_set_an_occasion_date_plans_its_push(client_for, engine) -> None:
    admin = client_for(ADMIN)
    year = datetime.now(UTC).year + 1
    bad = admin.post(
        "/tips/occasion",
        data={"csrf": admin.csrf, "occasion": "custom", "day": "明天", "name": "", "text": ""},
    )
    assert bad.status_code == 400
    assert '<span class="error" id="error-day">日期格式应为 2027-09-01。</span>' in bad.text
    assert '<span class="error" id="error-name">请填写活动名称（最多 30 字）。</span>' in bad.text
    assert "自定义活动需要填写提示正文" in bad.text
    assert 'value="明天"' in bad.text
    form = {"csrf": admin.csrf, "occasion": "food_safety_week", "day": f"{year}-06-10"}
    done = admin.post("/tips/occasion", data=form)
    assert "活动日期已保存" in done.text and f"{year}-06-10" in done.text
    with Session(engine) as session:
        row = session.exec(select(CustomOccasion)).one()
        assert (row.key, row.day.isoformat()) == ("food_safety_week", f"{year}-06-10")
        push = session.exec(
            select(ScheduledPush).where(ScheduledPush.occasion == "food_safety_week")
        ).one()
        assert push.status == "planned" and push.festival_date == row.day
        assert session.exec(
            select(AuditLog.detail).where(AuditLog.action == "occasion:set")
        ).one() == (f"food_safety_week {year}-06-10 [工作台]")


async def test_a_push_planned_in_the_console_goes_out_from_a_running_bots_sweep(
    client_for, driver: Driver, engine
) -> None:
    """The bot learns of a date set at the desk from the database, not at its next restart."""
    from datetime import timedelta

    from bot.models import as_utc
    from scheduler.pushes import sweep_pushes

    add_subscribers(driver, engine, [70001, 70002], topic="tips")
    admin = client_for(ADMIN)
    year = datetime.now(UTC).year + 1
    form = {"csrf": admin.csrf, "occasion": "food_safety_week", "day": f"{year}-06-10"}
    assert "活动日期已保存" in admin.post("/tips/occasion", data=form).text
    with Session(engine) as session:
        push = session.exec(
            select(ScheduledPush).where(ScheduledPush.occasion == "food_safety_week")
        ).one()
    due = as_utc(push.push_at)
    driver.application.bot_data.clock = lambda: due - timedelta(seconds=1)
    key = f"tip:food_safety_week:{year}"
    await sweep_pushes(driver.application)  # not yet due (other occasions' pushes may be)
    with Session(engine) as session:
        assert session.exec(select(Broadcast).where(Broadcast.key == key)).all() == []
    driver.application.bot_data.clock = lambda: due + timedelta(seconds=10)  # one sweep later
    await sweep_pushes(driver.application)
    with Session(engine) as session:
        assert len(session.exec(select(Broadcast).where(Broadcast.key == key)).all()) == 1
        assert session.get(ScheduledPush, push.id).status == "sent"  # type: ignore[union-attr]
