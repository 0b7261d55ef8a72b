"""The emulator over real HTTP: PTB's HTTPXRequest, raw clients and the user-side JSON API."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
)

from bot.sandbox import BotApiEmulator, serve
from tests.sandbox.helpers import AnyApp, wait_until

TOKEN = "123456:TEST"


@pytest.fixture
async def base(emu: BotApiEmulator) -> AsyncIterator[str]:
    """The emulator served on 127.0.0.1; yields http://127.0.0.1:PORT."""
    server, port = await serve(emu)
    yield f"http://127.0.0.1:{port}"
    server.stop()
    await server.close_all_connections()


@pytest.fixture
async def client(base: str) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client for the served emulator."""
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        yield http


def http_app(base: str) -> AnyApp:
    """A bare Application talking to the emulator over HTTP with PTB's own HTTPXRequest."""
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .build()
    )


async def start(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "<b>欢迎</b>",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("开始", callback_data="go:1")]]),
    )


async def go(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"收到 <code>{query.data}</code>")


async def test_journey_over_http_with_polling(base: str, client: httpx.AsyncClient) -> None:
    app = http_app(base)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(go))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        sent = await client.post(
            "/sandbox/users/1001/send", json={"text": "/start", "first_name": "张三"}
        )
        assert sent.json()["update"]["message"]["entities"][0]["type"] == "bot_command"

        async def bot_messages() -> list[dict[str, Any]]:
            response = await client.get("/sandbox/chats/1001/messages")
            return list(response.json()["messages"])

        messages: list[dict[str, Any]] = []

        async def refresh() -> None:
            messages[:] = await bot_messages()

        await wait_until_async(refresh, lambda: len(messages) == 1)
        menu = messages[0]
        assert menu["text"] == "欢迎"
        assert menu["sandbox"]["buttons"] == [["开始"]]
        pressed = await client.post(
            "/sandbox/users/1001/press",
            json={"chat_id": 1001, "message_id": menu["message_id"], "button": "开始"},
        )
        assert pressed.json()["update"]["callback_query"]["data"] == "go:1"
        await wait_until_async(refresh, lambda: messages[0]["text"] == "收到 go:1")
        assert messages[0]["entities"] == [{"type": "code", "offset": 3, "length": 4}]
        assert messages[0]["sandbox"]["edits"] == 1
        answers = (await client.get("/sandbox/callback_answers")).json()["answers"]
        assert [a["data"] for a in answers] == ["go:1"]
        await app.updater.stop()
        await app.stop()


async def wait_until_async(refresh: Any, condition: Any, timeout: float = 5.0) -> None:
    """wait_until for conditions that need an awaited refresh first."""
    state = {"ok": False}

    async def check() -> None:
        await refresh()
        state["ok"] = bool(condition())

    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        await check()
        if state["ok"]:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_uploads_downloads_and_form_decoding(base: str, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    emu.limits.enabled = False  # five sends to one chat in no time
    app = http_app(base)
    async with app:
        # Form encoding: the String "123" must stay a string, the Integer chat_id an int.
        sent = await app.bot.send_message(user.id, "123")
        assert emu.message(user.id, sent.message_id).text == "123"
        document = await app.bot.send_document(user.id, b"PK\x03\x04data", filename="结果.xlsx")
        assert document.document is not None
        assert emu.files[document.document.file_id].data == b"PK\x03\x04data"
        photo = await app.bot.send_photo(user.id, b"\x89PNG\r\n\x1a\n", caption="<i>图</i>")
        assert photo.caption == "图"
        file = await app.bot.get_file(document.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04data"
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="42")]])
        await app.bot.send_message(user.id, "键盘", reply_markup=keyboard)
        assert emu.last_message(user.id).callback_data == ["42"]  # type: ignore[union-attr]


async def test_raw_http_answers(client: httpx.AsyncClient, emu: BotApiEmulator) -> None:
    response = await client.post(f"/bot{TOKEN}/getMe")
    assert response.status_code == 200
    assert response.json()["result"]["username"] == "shian_test_bot"
    response = await client.get(f"/bot{TOKEN}/getMe")
    assert response.status_code == 200
    response = await client.post("/bot654321:WRONG/getMe")
    assert (response.status_code, response.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    response = await client.post(f"/bot{TOKEN}/noSuchMethod")
    assert (response.status_code, response.json()["description"]) == (404, "Not Found")
    emu.take_violations()
    response = await client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 99, "text": "x"})
    assert (response.status_code, response.json()["description"]) == (
        400,
        "Bad Request: chat not found",
    )
    emu.user(1001)
    response = await client.post(
        f"/bot{TOKEN}/sendMessage", data={"chat_id": "1001", "text": "表单"}
    )
    assert response.json()["result"]["text"] == "表单"


async def test_spec_violation_over_http_is_400(
    client: httpx.AsyncClient, emu: BotApiEmulator
) -> None:
    if emu.spec is None:
        pytest.skip("Bot API spec file is absent")
    emu.user(1001)
    response = await client.post(
        f"/bot{TOKEN}/sendMessage", json={"chat_id": 1001, "text": "x", "colour": "red"}
    )
    assert response.status_code == 400
    assert response.json()["description"] == (
        "Bad Request: Sandbox spec violation: sendMessage: unknown parameter 'colour'"
    )
    assert emu.take_violations() == ["sendMessage: unknown parameter 'colour'"]


async def test_user_side_api(client: httpx.AsyncClient, emu: BotApiEmulator) -> None:
    created = await client.post("/sandbox/users", json={"id": 1001, "first_name": "张三"})
    assert created.json()["user"]["first_name"] == "张三"
    group = (
        await client.post("/sandbox/groups", json={"title": "群", "member_ids": [1001]})
    ).json()
    assert group["chat_id"] < 0
    await client.post(
        "/sandbox/users/1001/send", json={"text": "群里好", "chat_id": group["chat_id"]}
    )
    document = await client.post(
        "/sandbox/users/1001/send_document",
        json={"filename": "a.txt", "data_base64": base64.b64encode(b"hi").decode()},
    )
    assert document.json()["update"]["message"]["document"]["file_name"] == "a.txt"
    _, body = await emu.call(
        "sendPoll",
        {
            "chat_id": 1001,
            "question": "Q",
            "options": [{"text": "a"}, {"text": "b"}],
            "is_anonymous": False,
        },
    )
    voted = await client.post(
        "/sandbox/users/1001/vote",
        json={"poll_id": body["result"]["poll"]["id"], "option_ids": [1]},
    )
    assert voted.json()["update"]["poll_answer"]["option_ids"] == [1]
    blocked = await client.post("/sandbox/users/1001/block")
    assert blocked.json()["update"]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    assert (await client.post("/sandbox/users/1001/unblock")).status_code == 200
    bad = await client.post(
        "/sandbox/users/1001/press", json={"chat_id": 1001, "message_id": 99, "button": "x"}
    )
    assert bad.status_code == 400
    log = (await client.get("/sandbox/chats/1001/messages", params={"all": "1"})).json()
    assert [m["sandbox"]["from_bot"] for m in log["messages"]] == [False, True]
    limits = await client.post("/sandbox/limits", json={"private_burst": 1})
    assert limits.json()["limits"]["private_burst"] == 1
    failure = await client.post(
        "/sandbox/inject_failure", json={"method": "getMe", "status": 429, "retry_after": 3}
    )
    assert failure.json()["description"] == "Too Many Requests: retry after 3"
    response = await client.post(f"/bot{TOKEN}/getMe")
    assert (response.status_code, response.json()["parameters"]) == (429, {"retry_after": 3})
    stats = (await client.get("/sandbox/stats")).json()["stats"]
    assert stats["rate_limited"] == 1
    assert stats["injected_failures"] == 1
    assert stats["requests"]["getMe"] == 1
    clock = await client.post("/sandbox/clock/advance", json={"seconds": 5})
    assert clock.json()["ok"] is True
    assert json.loads((await client.get("/sandbox/limits")).text)["ok"] is True


async def test_client_leaving_a_long_poll_is_harmless(
    client: httpx.AsyncClient, emu: BotApiEmulator
) -> None:
    import asyncio

    waiting = asyncio.create_task(client.post(f"/bot{TOKEN}/getUpdates", json={"timeout": 5}))
    await wait_until(lambda: emu.updates.waiting == 1)  # the server holds the long poll
    waiting.cancel()
    response = await client.post(f"/bot{TOKEN}/getUpdates", json={"timeout": 0})
    assert (response.status_code, response.json()["result"]) == (200, [])
    assert emu.internal_errors == []
