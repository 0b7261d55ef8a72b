"""待回复: the asker's sandbox chat gets a reply exactly once; a dismissal tells them."""

from __future__ import annotations

import asyncio
import csv
import io

from sqlmodel import Session, select

from bot.models import AuditLog, Broadcast, Delivery, PendingQuestion
from bot.sandbox.driver import Driver
from scheduler.broadcasts import resume_all
from tests.conftest import ADMIN, INSPECTOR
from tests.console.conftest import CITIZEN


async def leave_question(driver: Driver, text: str = "红烧肉怎么做") -> None:
    [reply] = await driver.send(CITIZEN, text)
    await driver.press(CITIZEN, reply, "📝 留给工作人员")


async def deliver_outbox(driver: Driver) -> None:
    """What the bot's 20 s resume job does, now; wait until every started broadcast is done."""
    app = driver.application
    await resume_all(app)
    tasks = list(app.bot_data.extras.get("broadcast_tasks", {}).values())
    await asyncio.gather(*tasks)


def staff_messages(driver: Driver, marker: str) -> list[str]:
    return [m.text or "" for m in driver.messages(CITIZEN) if marker in (m.text or "")]


async def test_reply_reaches_the_asker_exactly_once(driver: Driver, engine, client_for) -> None:
    await leave_question(driver)
    admin = client_for(ADMIN)
    page = admin.get("/pending")
    assert "红烧肉怎么做" in page.text and "没有找到答案" in page.text
    form = {"csrf": admin.csrf, "answer": "这不属于食品安全监管，请咨询烹饪方面的资料。"}
    done = admin.post("/pending/1/reply", data=form)
    assert "已回复，机器人会把回复发给提问者" in done.text
    again = admin.post("/pending/1/reply", data={**form, "answer": "第二次"})
    assert "这条留言已被处理" in again.text
    await deliver_outbox(driver)
    await deliver_outbox(driver)  # a second tick (or worker) sends nothing more
    [reply] = staff_messages(driver, "工作人员回复了您的问题")
    assert "这不属于食品安全监管" in reply and "红烧肉怎么做" in reply
    assert "已送达" in admin.get("/pending").text
    with Session(engine) as session:
        item = session.exec(select(PendingQuestion)).one()
        assert (item.status, item.handled_by) == ("answered", ADMIN)
        assert session.exec(select(Delivery.status)).all() == ["sent"]
        actions = session.exec(select(AuditLog.action, AuditLog.detail)).all()
        assert ("pending:reply", "1 [工作台]") in actions


async def test_dismiss_tells_the_asker(driver: Driver, engine, client_for) -> None:
    await leave_question(driver)
    admin = client_for(ADMIN)
    done = admin.post("/pending/1/dismiss", data={"csrf": admin.csrf})
    assert "已忽略，并通知提问者" in done.text
    await deliver_outbox(driver)
    [notice] = staff_messages(driver, "关于您留给工作人员的问题")
    assert "暂时无法在这里答复" in notice
    with Session(engine) as session:
        assert session.exec(select(Broadcast.kind)).all() == ["staff_dismiss"]


async def test_bad_reply_keeps_the_text_and_says_why(driver: Driver, client_for) -> None:
    await leave_question(driver)
    admin = client_for(ADMIN)
    empty = admin.post("/pending/1/reply", data={"csrf": admin.csrf, "answer": "   "})
    assert empty.status_code == 400
    assert '<p class="error" id="error-1">请填写回复内容。</p>' in empty.text
    long_text = "很长<b>" * 800
    too_long = admin.post("/pending/1/reply", data={"csrf": admin.csrf, "answer": long_text})
    assert too_long.status_code == 400
    assert "回复太长" in too_long.text
    assert "很长&lt;b&gt;很长" in too_long.text  # kept, escaped
    assert driver.messages(CITIZEN)[-1].text  # nothing queued or sent
    assert not staff_messages(driver, "工作人员回复了您的问题")


async def test_csv_export_and_inspector_refused(driver: Driver, client_for) -> None:
    await leave_question(driver)
    admin = client_for(ADMIN)
    export = admin.get("/pending.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and rows[1][3] == "红烧肉怎么做"
    inspector = client_for(INSPECTOR)
    assert inspector.get("/pending").status_code == 403
    refused = inspector.post("/pending/1/reply", data={"csrf": inspector.csrf, "answer": "x"})
    assert refused.status_code == 403 and "只有管理员" in refused.text
