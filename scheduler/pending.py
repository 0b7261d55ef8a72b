"""Tell admins about questions left for them: one message per batch, never at night."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.error import TelegramError

from bot.db import session_scope
from bot.guidance.services import claim_unnotified
from bot.kit import Context
from bot.render import render
from scheduler.broadcasts import in_quiet_hours
from scheduler.jobs import run_every

__all__ = ["notify_pending", "setup_pending_digest"]

logger = logging.getLogger(__name__)


async def notify_pending(app: Any) -> int:
    """Send the admins one message listing newly left questions; returns how many it listed.

    Outside quiet hours only: a question left at 23:00 is in the first batch after 08:00.
    Each question is claimed before it is listed, so two workers never list it twice.
    """
    data = app.bot_data
    settings = data.settings
    if not settings.admin_user_ids or in_quiet_hours(settings, data.clock()) is not None:
        return 0
    with session_scope(data.engine) as session:
        items, total = claim_unnotified(session, now=data.clock())
        text = render("pending_digest", items=items, total=total) if items else ""
    if not items:
        return 0
    for admin in settings.admin_user_ids:
        try:
            await app.bot.send_message(admin, text)
        except TelegramError as exc:  # an admin who never opened the bot: /pending still works
            logger.info("Left-question digest not delivered to an admin: %s", exc)
    return len(items)


async def _tick(context: Context) -> None:
    await notify_pending(context.application)


async def setup_pending_digest(app: Any) -> None:
    """Start-up work: check for newly left questions every PENDING_DIGEST_MINUTES."""
    every = timedelta(minutes=app.bot_data.settings.pending_digest_minutes)
    run_every(app, _tick, every, name="guidance:pending-digest")
