"""The one error handler: log with the update, apologise in Chinese, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import ApplicationHandlerStop

from bot.inbox.retry import retry_later
from bot.kit import Context
from bot.render import render

__all__ = ["error_handler"]

logger = logging.getLogger(__name__)


async def error_handler(update: object, context: Context) -> None:
    """Log the exception; tell the user something went wrong when there is someone to tell."""
    if isinstance(update, Update) and retry_later(context.error):
        # The inbox runs this update again: no apology, and no later handler group either.
        logger.warning(
            "Update %s will be retried: %s", update.update_id, type(context.error).__name__
        )
        raise ApplicationHandlerStop
    logger.error("Exception while handling an update: %s", update, exc_info=context.error)
    if not isinstance(update, Update) or isinstance(context.error, Forbidden):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(render("error"), show_alert=True)
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(render("error"))
    except Exception:  # the apology itself failed (blocked, network): nothing more to do
        logger.warning("Could not tell the user about the error", exc_info=True)
