"""AIORateLimiter that lets broadcasts handle their own 429s without freezing everyone."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.ext import AIORateLimiter

from bot.inbox.retry import journaled

__all__ = ["NO_RETRY", "BotRateLimiter"]

# Pass as rate_limit_args: the request goes through the shared limits once, and a RetryAfter
# is raised to the caller at once instead of pausing every request of the bot.
NO_RETRY = -1


class BotRateLimiter(AIORateLimiter):
    """Interactive replies retry a 429 (max_retries); broadcasts opt out with NO_RETRY."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Route NO_RETRY requests through the limiters once, without the global pause."""
        if rate_limit_args != NO_RETRY:
            # A reply made for an inbox row is journaled in it: never sent twice after a kill.
            return await super().process_request(
                journaled(callback, endpoint), args, kwargs, endpoint, data, rate_limit_args
            )
        chat_id = data.get("chat_id")
        group: int | str | bool = False
        if isinstance(chat_id, int) and chat_id < 0:
            group = chat_id
        return await self._run_request(
            chat=chat_id is not None,
            group=group,
            allow_paid_broadcast=False,
            callback=callback,
            args=args,
            kwargs=kwargs,
        )
