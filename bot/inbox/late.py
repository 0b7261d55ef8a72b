"""One "稍后回复" per update whose answer is held up (database or network down) for a while."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot.render import render

__all__ = ["LATE_AFTER", "LateNotices"]

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(seconds=20)


class LateNotices:
    """Remembers who was told (in memory, and in the row once it is stored)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._told: set[int] = set()

    def told(self) -> frozenset[int]:
        """Update ids whose sender was told the answer will be late."""
        return frozenset(self._told)

    async def maybe_tell(
        self, update_id: int, chat_id: int | None, *, since: datetime, now: datetime
    ) -> bool:
        """Tell a private chat once when its update has waited LATE_AFTER; True if told now."""
        # Groups would see a notice per member's message: only private chats (positive ids).
        if chat_id is None or chat_id <= 0 or update_id in self._told:
            return False
        if now - since < LATE_AFTER:
            return False
        self._told.add(update_id)
        try:
            await self._bot.send_message(chat_id, render("late_notice"))
        except TelegramError as exc:
            logger.warning("Late notice for update %s not sent: %s", update_id, type(exc).__name__)
        return True
