"""Which failures are worth another attempt, and the channel from the error handler back.

The consumer sets an Outcome for the update it is processing; the error handler (which PTB
calls in the same task) asks retry_later(error): True means "do not apologise, the consumer
will try this update again". Outside the consumer (the offline chat, the tests' Driver)
there is no Outcome and nothing is retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

__all__ = [
    "MAX_ATTEMPTS",
    "Outcome",
    "backoff",
    "current",
    "is_transient",
    "journaled",
    "retry_later",
]

MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(seconds=30)

_TRANSIENT = (
    OperationalError,
    DisconnectionError,
    InterfaceError,
    PoolTimeout,
    NetworkError,
    RetryAfter,
)


@dataclass
class Outcome:
    """What became of one attempt at one update (filled by the error handler)."""

    final: bool  # the last attempt: a failure now is given up and apologised for
    retry: str | None = None  # the class of the transient error that asks for another attempt
    failed: str | None = None  # the class of an error the user was told about
    replied: bool = False  # a message went out: another attempt would send it twice
    # records in the row: about to send (False), sent (True), refused (None)
    on_reply: Callable[[bool | None], Awaitable[None]] | None = None


current: ContextVar[Outcome | None] = ContextVar("inbox_outcome", default=None)


def is_transient(error: BaseException) -> bool:
    """A database or network hiccup that another attempt may not meet."""
    # A send that timed out may have reached the user: running the update again could answer
    # twice, so a timeout is not retried here (it is an uncertain send, reported as such).
    # PTB's BadRequest is a NetworkError too, but the same request would be refused again.
    if isinstance(error, TimedOut | BadRequest):
        return False
    return isinstance(error, _TRANSIENT)


def retry_later(error: BaseException | None) -> bool:
    """For the error handler: True when the consumer will run this update again."""
    outcome = current.get()
    if outcome is None or error is None:
        return False
    if is_transient(error) and not outcome.final and not outcome.replied:
        outcome.retry = type(error).__name__
        return True
    outcome.failed = type(error).__name__
    return False


# Requests that put a new message in a chat; a chat action or an edit can safely repeat.
_SENDS = ("send", "copyMessage", "forwardMessage")
_REFUSED = (RetryAfter, BadRequest, Forbidden, ChatMigrated)

Request = TypeVar("Request", bound=Callable[..., Awaitable[Any]])


def journaled(callback: Request, endpoint: str) -> Request:
    """The request, with the inbox row told before its first send goes out and after."""
    if current.get() is None or not endpoint.startswith(_SENDS) or endpoint == "sendChatAction":
        return callback

    async def call(*args: Any, **kwargs: Any) -> Any:
        outcome = current.get()
        first = outcome is not None and not outcome.replied and outcome.on_reply is not None
        if first:
            await outcome.on_reply(False)  # type: ignore[union-attr,misc]
        try:
            result = await callback(*args, **kwargs)
        except _REFUSED:
            # Telegram answered and sent nothing (say, a 429 the limiter waits out): not a
            # reply in flight. Any other failure may have happened after delivery.
            if first:
                await outcome.on_reply(None)  # type: ignore[union-attr,misc]
            raise
        if first:
            outcome.replied = True  # type: ignore[union-attr]
            await outcome.on_reply(True)  # type: ignore[union-attr,misc]
        return result

    return cast(Request, call)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt attempts + 1: 1 s, 2 s, 4 s ... at most 30 s."""
    delay: timedelta = FIRST_DELAY * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_DELAY)
