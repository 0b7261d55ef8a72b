"""The queue of updates waiting for getUpdates or webhook delivery."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

Update = dict[str, Any]

# Telegram leaves these out unless allowed_updates names them explicitly.
OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class PollSupersededError(Exception):
    """A newer getUpdates call took over from a waiting one."""


class UpdateQueue:
    """Pending updates in id order, with long-polling waits and the allowed_updates filter."""

    def __init__(self) -> None:
        self._pending: deque[tuple[int, str, Update]] = deque()
        self._next_id = 1
        self.allowed: frozenset[str] | None = None  # None: every type except OPT_IN_TYPES
        self._waiters: set[asyncio.Future[None]] = set()
        self._poller: asyncio.Future[None] | None = None
        self.filtered = 0  # updates dropped because allowed_updates excluded them

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def waiting(self) -> int:
        """How many long polls (or wait() calls) are parked here now: a test's readiness signal."""
        return len(self._waiters)

    def is_allowed(self, kind: str) -> bool:
        """Whether the bot subscribed to updates of this type."""
        if self.allowed is None:
            return kind not in OPT_IN_TYPES
        return kind in self.allowed

    def set_allowed(self, kinds: Iterable[str] | None) -> None:
        """Apply allowed_updates: None keeps the setting, [] restores the default."""
        if kinds is None:
            return
        new = frozenset(kinds) or None
        if new == self.allowed:
            return
        self.allowed = new
        kept = [item for item in self._pending if self.is_allowed(item[1])]
        self.filtered += len(self._pending) - len(kept)
        self._pending = deque(kept)

    def make(self, kind: str, payload: Any) -> Update:
        """Build an update with the next id (whether or not it is queued)."""
        update_id = self._next_id
        self._next_id += 1
        return {"update_id": update_id, kind: payload}

    def push(self, update: Update) -> bool:
        """Queue an update unless its type is filtered out; wake waiters."""
        kind = next(key for key in update if key != "update_id")
        if not self.is_allowed(kind):
            self.filtered += 1
            return False
        self._pending.append((update["update_id"], kind, update))
        if self._waiters:
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._waiters.clear()
        return True

    def confirm(self, offset: int) -> None:
        """getUpdates offset: forget updates below it; a negative offset keeps the last -offset."""
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
            return
        while pending and pending[0][0] < offset:
            pending.popleft()

    def peek(self, limit: int) -> list[Update]:
        """Up to limit pending updates, oldest first, without removing them."""
        if limit >= len(self._pending):
            return [item[2] for item in self._pending]
        return [self._pending[index][2] for index in range(limit)]

    def pop_first(self) -> Update | None:
        """Remove and return the oldest pending update."""
        return self._pending.popleft()[2] if self._pending else None

    def clear(self) -> None:
        """Drop every pending update (drop_pending_updates)."""
        self._pending.clear()

    async def wait(self, timeout: float) -> None:
        """Return when an update is queued or timeout passes."""
        if self._pending or timeout <= 0:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._wait_on(waiter, timeout)

    async def long_poll(self, timeout: float) -> None:
        """wait() for getUpdates: a newer long poll ends this one with PollSupersededError."""
        previous = self._poller
        if previous is not None and not previous.done():
            previous.set_exception(PollSupersededError())
        if self._pending or timeout <= 0:
            return
        me: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poller = me
        try:
            await self._wait_on(me, timeout)
        finally:
            if self._poller is me:
                self._poller = None

    async def _wait_on(self, waiter: asyncio.Future[None], timeout: float) -> None:
        # push() resolves the waiter; wait_for cancels it on timeout or when we are cancelled.
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)
