"""Browser journeys: Playwright drives Debian's chromium against the console served by uvicorn,
beside the real bot on the sandbox (one event loop, one in-memory database)."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import Session

from bot.console.app import create_app
from bot.sandbox.driver import Driver
from bot.sandbox.limits import Limits
from tests.conftest import ADMIN, make_settings
from tests.console.conftest import CITIZEN, console_state
from tests.console.helpers import add_votes, make_campaign
from tests.console.test_pending import deliver_outbox, leave_question, staff_messages

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: scripts/test installs it (apt-get install chromium)",
    ),
]


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the page screenshots go (CONSOLE_SCREENSHOTS keeps them after the run)."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def stack(engine) -> AsyncIterator[tuple[Driver, str]]:
    """The bot on the sandbox and the console on a free port, sharing the database."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(console_url=base)
    driver = Driver(settings, engine=engine, limits=Limits(private_burst=50))
    await driver.start()
    app = create_app(settings, state=console_state(settings, engine))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # readiness: uvicorn sets this once it listens
        await asyncio.sleep(0.01)
    try:
        yield driver, base
    finally:
        server.should_exit = True
        await serving
        sock.close()
        await driver.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"]
        )
        launched.new_page = _with_timeout(launched.new_page)
        try:
            yield launched
        finally:
            await launched.close()


def _with_timeout(new_page: Any) -> Any:
    async def make() -> Any:
        page = await new_page()
        page.set_default_timeout(10_000)  # fail in seconds, not Playwright's 30
        return page

    return make


async def shoot(page: Any, folder: Path, name: str) -> None:
    """A full-page screenshot; the page's Chinese font must really be there (no boxes)."""
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert await page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '监管工作台')")


async def sign_in(driver: Driver, page: Any) -> None:
    """/console in the bot, open the link, press the button."""
    [reply] = await driver.send(ADMIN, "/console")
    url = re.search(r"http://\S+/login/\S+", reply.text or "")
    assert url, reply.text
    await page.goto(url.group(0))
    await page.click("#signin")
    await page.wait_for_selector("text=本周提问")


async def test_sign_in_and_answer_a_left_question(stack, browser, screenshots) -> None:
    driver, base = stack
    await leave_question(driver)
    page = await browser.new_page()
    await sign_in(driver, page)
    await shoot(page, screenshots, "overview")
    await page.click("header >> text=待回复")
    await page.wait_for_selector("#item-1")
    await page.click("#reply-1")  # empty: the form says why, nothing is sent
    await page.wait_for_selector("#error-1")
    assert await page.inner_text("#error-1") == "请填写回复内容。"
    await shoot(page, screenshots, "pending")
    await page.fill("#answer-1", "这不属于食品安全监管的范围，谢谢您的关注。")
    await page.click("#reply-1")
    await page.wait_for_selector("#notice")
    await deliver_outbox(driver)
    [reply] = staff_messages(driver, "工作人员回复了您的问题")
    assert "这不属于食品安全监管的范围" in reply
    await page.reload()
    assert "已送达" in await page.inner_text("#done")
    for path, name in (
        ("/qa?q=健康证多久办一次", "qa"),
        ("/exams", "exams"),
        ("/tips?year=2027", "tips"),
        ("/qa/unanswered", "unanswered"),
        ("/needs-entry", "needs_entry"),
        ("/exams/paper", "exam_paper"),
        ("/broadcasts/new", "broadcast_new"),
        ("/audit", "audit"),  # last: the check below reads it
    ):
        await page.goto(base + path)
        await shoot(page, screenshots, name)
    assert "pending:reply" in await page.inner_text("#audit")
    await page.click("text=退出登录")
    await page.wait_for_selector("text=登录监管工作台")
    await page.goto(base + "/pending")
    assert page.url.endswith("/login")


async def test_open_close_publish_and_the_public_page(stack, browser, engine, screenshots) -> None:
    driver, base = stack
    await driver.send(CITIZEN, "/start")  # the voter has a chat with the bot
    with Session(engine) as session:
        cid = make_campaign(session)
    page = await browser.new_page()
    await sign_in(driver, page)
    await page.goto(f"{base}/campaigns")
    await shoot(page, screenshots, "campaigns")
    await page.click("text=春季你点我检")
    await page.click("#open")
    await page.wait_for_selector("text=活动已开始投票")
    with Session(engine) as session:
        add_votes(session, cid, {CITIZEN: [0, 3], CITIZEN + 1: [0, 1, 4]})
    await page.reload()
    assert "投票人数：2" in await page.inner_text("main")
    await shoot(page, screenshots, "campaign_open")
    await page.click("#close")
    await page.wait_for_selector("#outcome")
    await page.fill("#outcome", "共抽检猪肉 8 批次、蔬菜 12 批次，全部合格。")
    await page.click("#save-outcome")
    await page.wait_for_selector("#preview")
    await shoot(page, screenshots, "campaign_preview")
    await page.click("#publish")
    await page.wait_for_selector("#public-link")
    await page.click("#public-link")
    await page.wait_for_selector("#voters")
    assert await page.inner_text("#voters") == "2"
    assert "全部合格" in await page.inner_text("#outcome")
    await shoot(page, screenshots, "public_campaign")
    anonymous = await browser.new_page()  # a fresh context: no session cookie
    response = await anonymous.goto(f"{base}/public/campaigns/{cid}")
    assert response is not None and response.status == 200
    await deliver_outbox(driver)
    assert staff_messages(driver, "抽检结果公布")  # the voter heard about it in Telegram


async def test_issue_a_batch_of_exam_codes_from_excel(stack, browser, screenshots) -> None:
    from tests.console.test_exam_batch import sheet

    driver, base = stack
    page = await browser.new_page()
    await sign_in(driver, page)
    await page.goto(base + "/exams")
    await page.click("#batch-exam")
    data = sheet(
        ["城关饭店", "", "餐饮服务", "食品安全员", "城关街道", "张三"],
        ["东城超市", "", "食品销售", "食品安全总监", "东城街道", "李四"],
    )
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    await page.set_input_files(
        "#file", files=[{"name": "名单.xlsx", "mimeType": xlsx, "buffer": data}]
    )
    await page.click("#upload-button")
    await page.wait_for_selector("#codes")
    assert "已发起 2 场抽考" in await page.inner_text("#issued")
    table = await page.inner_text("#codes")
    assert "城关饭店" in table and "李四" in table
    await shoot(page, screenshots, "exam_batch")


async def test_create_a_draft_in_the_form_fix_an_error_open_it_and_vote_in_the_bot(
    stack, browser, screenshots
) -> None:
    driver, base = stack
    page = await browser.new_page()
    await sign_in(driver, page)
    await page.goto(base + "/campaigns")
    await page.click("#new-campaign")
    await page.fill("#title", "夏季你点我检")
    await page.fill("#ballot-0-title", "食品品种")
    await page.fill("#ballot-0-options", "猪肉\n蔬菜\n水果")
    await page.fill("#ballot-0-max_choices", "5")
    await page.click("#add-ballot")  # one more question; what was typed stays
    await page.wait_for_selector("#ballot-1-title")
    assert await page.input_value("#ballot-0-max_choices") == "5"
    await page.fill("#ballot-1-title", "抽样场所")
    await page.fill("#ballot-1-options", "超市、农贸市场")
    await page.click("#save-draft")
    await page.wait_for_selector("#error-ballot-0-max_choices")
    error = await page.inner_text("#error-ballot-0-max_choices")
    assert error == "最多可选数应在 1 到 3 之间（现为 5）"
    assert await page.input_value("#ballot-1-options") == "超市、农贸市场"
    await shoot(page, screenshots, "campaign_form_error")
    await page.fill("#ballot-0-max_choices", "2")
    await page.click("#save-draft")
    await page.wait_for_selector("text=草稿已保存")
    await shoot(page, screenshots, "campaign_draft")
    await page.click("#open")
    await page.wait_for_selector("text=活动已开始投票")
    [listing] = await driver.send(CITIZEN, "/vote")
    assert "夏季你点我检" in (listing.text or "")
    [ballot] = await driver.press(CITIZEN, listing, "🗳 夏季你点我检")
    assert "食品品种" in (ballot.text or "")


async def test_compose_a_broadcast_and_watch_it_arrive(
    stack, browser, engine, screenshots
) -> None:
    from tests.scheduler.helpers import add_subscribers

    driver, base = stack
    ids = add_subscribers(driver, engine, [8301, 8302, 8303], "tips")
    page = await browser.new_page()
    await sign_in(driver, page)
    await page.goto(base + "/tips")
    await page.click("#new-broadcast")
    await page.fill("#text", "端午节将至，购买粽子请认准正规渠道。")
    await page.select_option("#topic", "tips")
    await page.click("#preview-button")
    await page.wait_for_selector("#preview")
    assert "目前 3 人" in await page.inner_text("#preview-head")
    await shoot(page, screenshots, "broadcast_preview")
    await page.click("#send-broadcast")
    await page.wait_for_selector("text=已开始群发")
    assert await page.inner_text("#state") == "排队中"
    await deliver_outbox(driver)  # the bot's resume job, now
    # The page polls its figures every 2 s: wait for the live update, no reload.
    await page.wait_for_function("document.getElementById('sent').textContent === '3'")
    assert await page.inner_text("#state") == "已完成"
    assert await page.query_selector("#cancel") is None
    await shoot(page, screenshots, "broadcast_done")
    assert all("端午节将至" in (driver.messages(u)[-1].text or "") for u in ids)
