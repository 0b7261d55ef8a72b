"""At most once where Telegram cannot tell us: how one send ended, and which failures are unknown.

A request that timed out after it was written may have been delivered: Telegram gives no way to
ask. Such a send is 'uncertain' and is never re-sent by itself; staff decide. A timeout before
anything was written (connecting, or waiting for a free connection) was certainly not delivered.
"""

from __future__ import annotations

from enum import StrEnum

import httpx
from telegram import Bot
from telegram.error import BadRequest, Forbidden, TimedOut

from bot.kit.replies import send

__all__ = ["Outcome", "deliver", "is_chat_gone", "is_uncertain"]


class Outcome(StrEnum):
    """How a send to one chat ended."""

    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot (403)
    GONE = "gone"  # the chat no longer exists or was never reachable
    UNCERTAIN = "uncertain"  # timed out after the request was written: maybe delivered


def is_uncertain(exc: BaseException) -> bool:
    """A timeout that may have come after Telegram carried the request out."""
    if not isinstance(exc, TimedOut):
        return False
    cause = exc.__cause__
    return not isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout)


def is_chat_gone(exc: BadRequest) -> bool:
    """Telegram says the chat does not exist (deleted account, a wrong id)."""
    return "chat not found" in exc.message.lower()


async def deliver(bot: Bot, chat_id: int, text: str) -> Outcome:
    """Send text once; a blocked, missing or uncertain chat is an outcome, not an exception."""
    try:
        await send(bot, chat_id, text)
    except Forbidden:
        return Outcome.BLOCKED
    except BadRequest as exc:
        if is_chat_gone(exc):
            return Outcome.GONE
        raise
    except TimedOut as exc:
        if is_uncertain(exc):
            return Outcome.UNCERTAIN
        raise
    return Outcome.SENT
