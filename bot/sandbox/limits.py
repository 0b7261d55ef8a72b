"""Telegram's flood limits: global, per private chat and per group, answered with 429."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from bot.sandbox.clock import Clock
from bot.sandbox.errors import ApiError, too_many_requests


@dataclass
class Limits:
    """Configurable limits; the defaults are Telegram's documented figures."""

    enabled: bool = True
    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20

    def as_dict(self) -> dict[str, Any]:
        """The limits as plain JSON."""
        return asdict(self)

    def update(self, values: dict[str, Any]) -> None:
        """Change some fields in place, rejecting unknown names."""
        for name, value in values.items():
            if name not in self.__dataclass_fields__:
                raise ValueError(f"unknown limit {name!r}")
            setattr(self, name, type(getattr(self, name))(value))


def _wait(seconds: float) -> int:
    # Telegram always asks for a whole number of seconds, at least one.
    return max(1, math.ceil(seconds - 1e-9))


class RateLimiter:
    """Counts sends against the limits; acquire() either records the send or raises 429."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._global: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._private: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)

    def reset(self) -> None:
        """Forget every counted send."""
        self._global.clear()
        self._groups.clear()
        self._private.clear()

    def acquire(self, chat_id: int, *, is_group: bool, counts_global: bool = True) -> None:
        """Record one send to chat_id, or raise ApiError(429) leaving the counters unchanged."""
        limits = self.limits
        if not limits.enabled:
            return
        now = self._clock()
        window = self._global
        while window and window[0] <= now - 1.0:
            window.popleft()
        if counts_global and len(window) >= limits.global_per_second:
            self._refuse(window[0] + 1.0 - now)
        if is_group:
            group = self._groups.setdefault(chat_id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= limits.group_per_minute:
                self._refuse(group[0] + 60.0 - now)
            group.append(now)
        else:
            tokens, at = self._private.get(chat_id, (float(limits.private_burst), now))
            tokens = min(
                float(limits.private_burst), tokens + (now - at) * limits.private_per_second
            )
            if tokens < 1.0:
                self._refuse((1.0 - tokens) / limits.private_per_second)
            self._private[chat_id] = (tokens - 1.0, now)
        if counts_global:
            window.append(now)

    @staticmethod
    def _refuse(seconds: float) -> None:
        wait = _wait(seconds)
        raise ApiError(429, too_many_requests(wait), retry_after=wait)
