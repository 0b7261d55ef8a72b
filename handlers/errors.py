"""The one error handler: log with the update, apologise in Chinese, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import ApplicationHandlerStop

from bot.inbox.retry import retry_later
from bot.kit import Context, is_uncertain
from bot.render import render

__all__ = ["error_handler", "failing_function"]

OURS = ("handlers.", "bot.", "scheduler.", "knowledge.")

logger = logging.getLogger(__name__)


def failing_function(error: BaseException | None) -> str:
    """The handler that failed: the outermost frame in handlers/, else the innermost of ours."""
    frames: list[str] = []
    tb = error.__traceback__ if error is not None else None
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(OURS):
            frames.append(f"{module}.{tb.tb_frame.f_code.co_qualname}")
        tb = tb.tb_next
    handlers = [f for f in frames if f.startswith("handlers.")]
    return handlers[0] if handlers else (frames[-1] if frames else "-")


async def error_handler(update: object, context: Context) -> None:
    """Log the exception; tell the user something went wrong when there is someone to tell."""
    if isinstance(update, Update) and retry_later(context.error):
        # The inbox runs this update again: no apology, and no later handler group either.
        logger.warning(
            "Update %s will be retried: %s", update.update_id, type(context.error).__name__
        )
        raise ApplicationHandlerStop
    # The update id and the failing function, never the update: it holds names and texts.
    update_id = update.update_id if isinstance(update, Update) else "-"
    where = failing_function(context.error)
    if context.error is not None and is_uncertain(context.error):
        # The reply timed out but may have arrived: an apology could follow the answer.
        logger.warning("A send timed out for update %s in %s: no apology", update_id, where)
        return
    logger.error(
        "Exception while handling update %s in %s", update_id, where, exc_info=context.error
    )
    if not isinstance(update, Update) or isinstance(context.error, Forbidden):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(render("error"), show_alert=True)
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(render("error"))
    except Exception:  # the apology itself failed (blocked, network): nothing more to do
        logger.warning("Could not tell the user about the error", exc_info=True)
