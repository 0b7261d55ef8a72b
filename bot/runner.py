"""python -m bot run: long polling or webhook, with clear failures and graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import sys
from urllib.parse import urlparse

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import build_application
from bot.config import Settings
from bot.db import make_engine
from bot.lease import POLLING, Held, acquire, make_holder, release
from bot.models import utcnow
from bot.schema import SchemaOutdated, prepare
from bot.serving import serve_polling, serve_webhook
from scheduler.poller import LEASE_TTL

__all__ = ["run"]

logger = logging.getLogger(__name__)


def _second_poller(held: Held) -> str:
    seconds = int(LEASE_TTL.total_seconds())
    return (
        f"错误：已有另一个 python -m bot run 正在用长轮询为这个数据库接收消息（{held.holder}）。"
        "同一个机器人同时只能有一个轮询进程，否则用户会收到重复的回复。"
        f"请先停止那个进程；如果它已意外退出，约 {seconds} 秒后即可重新启动。"
        "需要多个进程时，请改用 webhook 模式：python -m bot run --webhook"
    )


def run(settings: Settings, *, webhook: bool) -> int:
    """Run until SIGINT/SIGTERM: stop taking updates, finish those in flight, shut down."""
    token = settings.require_token()
    hook = settings.require_webhook() if webhook else None
    engine = make_engine(settings.database_url)
    try:
        prepare(engine)
    except SchemaOutdated as exc:
        engine.dispose()
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    holder = make_holder()
    if hook is None:
        held = acquire(engine, POLLING, holder, now=utcnow(), ttl=LEASE_TTL)
        if held is not None:
            engine.dispose()
            print(_second_poller(held), file=sys.stderr)
            return 1
    app = build_application(settings, token=token, engine=engine)
    # The token is a secret: log only the bot's public name once we know it.
    try:
        if hook is not None:
            url, secret = hook
            path = urlparse(url).path.strip("/") or "telegram"
            logger.info(
                "Webhook mode on %s:%s/%s", settings.webhook_listen, settings.webhook_port, path
            )
            asyncio.run(serve_webhook(app, settings, holder, path, secret))
        else:
            logger.info("Long polling %s", settings.telegram_api_base_url.split("/bot")[0])
            try:
                asyncio.run(serve_polling(app, holder))
            finally:
                release(engine, POLLING, holder)
    except InvalidToken:
        print(
            "错误：Telegram 拒绝了这个令牌（TELEGRAM_BOT_TOKEN 无效或已被撤销）。", file=sys.stderr
        )
        return 1
    except NetworkError as exc:
        # The log file keeps the traceback; the terminal shows it only with --debug.
        logger.error("Telegram Bot API unreachable", exc_info=exc)
        print(
            f"错误：连接不上 Telegram Bot API（{settings.telegram_api_base_url}）：{exc}。"
            "请检查网络，或 TELEGRAM_API_BASE_URL 是否正确。"
            "（加 --debug 可在终端看到详细的出错信息）",
            file=sys.stderr,
        )
        return 1
    except TelegramError as exc:
        logger.error("Telegram refused the start", exc_info=exc)
        print(f"错误：Telegram 返回错误：{exc}", file=sys.stderr)
        return 1
    return 0
