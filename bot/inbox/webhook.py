"""The webhook endpoint: check the secret, store the update, and only then answer 200.

An update that cannot be stored is answered 503, so Telegram delivers it again later.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.inbox import store
from bot.inbox.consumer import Consumer
from bot.inbox.late import LateNotices
from bot.kit import App

__all__ = ["SECRET_HEADER", "webhook_route"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def _update_of(request: Request) -> dict[str, Any] | None:
    try:
        update = await request.json()
    except ValueError:
        return None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return None
    return update


def webhook_route(
    path: str, secret: str, app: App, consumer: Consumer, notices: LateNotices
) -> Route:
    """POST /<path>: Telegram's deliveries into the inbox."""
    first_seen: dict[int, datetime] = {}
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return Response(status_code=403)
        update = await _update_of(request)
        if update is None:
            return Response(status_code=400)
        engine, now = app.bot_data.engine, app.bot_data.clock()
        try:
            await consumer.db(
                partial(store.add, engine, [update], now=now, notified=notices.told())
            )
        except SQLAlchemyError as exc:
            logger.warning(
                "Could not store update %s (%s)", update["update_id"], type(exc).__name__
            )
            since = first_seen.setdefault(update["update_id"], now)
            chat_id, _ = store.lane_of(update)
            await notices.maybe_tell(update["update_id"], chat_id, since=since, now=now)
            return Response(status_code=503)
        first_seen.pop(update["update_id"], None)
        logger.debug("Webhook stored update %s", update["update_id"])  # the id, never the text
        consumer.wake()
        return Response(status_code=200)

    endpoint: Callable[[Request], Awaitable[Response]] = receive
    return Route(f"/{path}", endpoint, methods=["POST"])
