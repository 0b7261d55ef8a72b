"""Long polling into the inbox: getUpdates, store, commit, and only then move the offset.

Telegram forgets updates below the offset of the next getUpdates call, so an update is
confirmed only after its row is committed. A worker killed in between gets the same updates
again at its next start, and the unique update_id makes storing them a second time a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import Conflict, NetworkError

from bot.inbox import store
from bot.inbox.consumer import Consumer
from bot.inbox.late import LateNotices
from bot.kit import App

__all__ = ["POLL_TIMEOUT", "Fetcher"]

logger = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates call waits for news
MAX_PAUSE = 5.0


class Fetcher:
    """The polling lease holder's loop; stop() ends it (an in-flight poll is cancelled)."""

    def __init__(self, app: App, consumer: Consumer, notices: LateNotices) -> None:
        self._app = app
        self._consumer = consumer
        self._notices = notices
        self._offset: int | None = None
        self._first_seen: dict[int, datetime] = {}
        self._stopped = asyncio.Event()

    def stop(self) -> None:
        """End the loop at its next await."""
        self._stopped.set()

    async def run(self) -> None:
        """Fetch and store until stop()."""
        loop = asyncio.create_task(self._loop(), name="inbox-fetcher")
        stopped = asyncio.create_task(self._stopped.wait())
        await asyncio.wait({loop, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (loop, stopped):
            task.cancel()
        await asyncio.gather(loop, stopped, return_exceptions=True)
        if loop.done() and not loop.cancelled() and loop.exception() is not None:
            raise loop.exception()  # type: ignore[misc]

    async def _loop(self) -> None:
        failures = 0
        batch: list[dict[str, Any]] = []
        while True:
            if not batch:
                try:
                    batch = await self._fetch()
                except Conflict:
                    raise  # another getUpdates or a webhook: not ours to fight
                except NetworkError as exc:
                    failures += 1
                    logger.warning("getUpdates failed (%s); retrying", type(exc).__name__)
                    await asyncio.sleep(min(0.5 * 2**failures, MAX_PAUSE))
                    continue
            if not batch:
                continue
            if await self._store(batch):
                self._offset = max(u["update_id"] for u in batch) + 1
                batch = []
                failures = 0
                self._consumer.wake()
            else:
                failures += 1
                await asyncio.sleep(min(0.5 * 2**failures, MAX_PAUSE))

    async def _fetch(self) -> list[dict[str, Any]]:
        updates = await self._app.bot.get_updates(
            offset=self._offset, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES
        )
        return [update.to_dict() for update in updates]

    async def _store(self, batch: list[dict[str, Any]]) -> bool:
        data = self._app.bot_data
        now = data.clock()
        try:
            await self._consumer.db(
                partial(store.add, data.engine, batch, now=now, notified=self._notices.told())
            )
        except SQLAlchemyError as exc:
            logger.warning("Could not store %s updates (%s)", len(batch), type(exc).__name__)
            for update in batch:
                since = self._first_seen.setdefault(update["update_id"], now)
                chat_id, _ = store.lane_of(update)
                await self._notices.maybe_tell(update["update_id"], chat_id, since=since, now=now)
            return False
        for update in batch:
            self._first_seen.pop(update["update_id"], None)
        return True
