"""Webhook delivery: POSTs with the secret header, retries, and PTB's own webhook server."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, ContextTypes
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.sandbox import BotApiEmulator
from tests.sandbox.helpers import AnyApp, free_port, wait_until


@dataclass
class Inbox:
    """What the receiver got; it answers 500 to the first `failures` posts."""

    failures: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)


class Receiver(RequestHandler):
    def initialize(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def post(self) -> None:
        if self.inbox.failures > 0:
            self.inbox.failures -= 1
            self.set_status(500)
            return
        self.inbox.bodies.append(json.loads(self.request.body))
        self.inbox.secrets.append(self.request.headers.get("X-Telegram-Bot-Api-Secret-Token"))


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, Inbox]]:
    inbox = Inbox()
    sockets = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    server = HTTPServer(Application([(r"/hook", Receiver, {"inbox": inbox})]))
    server.add_sockets(sockets)
    yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook", inbox
    server.stop()
    await server.close_all_connections()


async def test_updates_are_posted_with_the_secret(
    app: AnyApp, emu: BotApiEmulator, receiver: tuple[str, Inbox]
) -> None:
    url, inbox = receiver
    user = emu.user(1001)
    early = user.send("设置前的消息")
    assert await app.bot.set_webhook(url, secret_token="s3cret_TOKEN-1", max_connections=3)
    sent = [early, user.send("第一条"), user.send("第二条")]
    # The receiver records a body before answering; the queue drops it after the answer.
    await wait_until(lambda: len(inbox.bodies) == 3 and emu.pending_updates == 0)
    assert inbox.bodies == sent
    assert inbox.secrets == ["s3cret_TOKEN-1"] * 3
    info = await app.bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.max_connections) == (url, 0, 3)
    assert await app.bot.delete_webhook()
    user.send("删除后留在队列里")
    assert emu.pending_updates == 1
    assert (await app.bot.get_webhook_info()).url == ""


async def test_failed_deliveries_are_retried(
    app: AnyApp, emu: BotApiEmulator, receiver: tuple[str, Inbox]
) -> None:
    url, inbox = receiver
    inbox.failures = 2
    await app.bot.set_webhook(url, drop_pending_updates=True)
    update = emu.user(1001).send("重试")
    await wait_until(lambda: len(inbox.bodies) == 1 and emu.stats.webhook_deliveries == 1)
    assert inbox.bodies == [update]
    assert inbox.secrets == [None]
    info = await app.bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert emu.stats.webhook_failures == 2
    assert emu.stats.webhook_deliveries == 1


async def test_unreachable_webhook_keeps_updates(app: AnyApp, emu: BotApiEmulator) -> None:
    await app.bot.set_webhook(f"http://127.0.0.1:{free_port()}/nobody")
    emu.user(1001).send("没人收")
    await wait_until(lambda: emu.webhook.last_error_message is not None)
    assert emu.webhook.last_error_message.startswith("Connection failed")  # type: ignore[union-attr]
    assert emu.pending_updates == 1


async def test_webhook_url_must_be_https_unless_loopback(app: AnyApp) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await app.bot.set_webhook("http://bot.example.cn/hook")
    with pytest.raises(BadRequest, match="unallowed characters"):
        await app.bot.set_webhook("https://bot.example.cn/hook", secret_token="空格 不行")


async def hello(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("webhook 收到")


async def test_ptb_webhook_server_receives_updates(app: AnyApp, emu: BotApiEmulator) -> None:
    app.add_handler(CommandHandler("start", hello))
    port = free_port()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="tg",
        webhook_url=f"http://127.0.0.1:{port}/tg",
        secret_token="abcDEF123",
    )
    user = emu.user(1001)
    user.send("/start")
    await wait_until(lambda: user.last_message() is not None)
    assert user.last_message().text == "webhook 收到"  # type: ignore[union-attr]
    assert emu.webhook.secret_token == "abcDEF123"
    await app.updater.stop()
    await app.stop()
