"""Last resort answers: unknown commands, non-text messages, stale or forged buttons."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.kit import Context
from bot.render import render
from handlers.common import answer_query, is_private, reply

__all__ = ["HANDLERS"]


async def unknown_command(update: Update, context: Context) -> None:
    """A command nobody handles: say so and point at /help (private chats only)."""
    if not is_private(update) or update.effective_message is None:
        return
    word = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0]
    await reply(update, render("unknown_command", command=word[:32]))


async def non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, locations …: only text is understood."""
    if is_private(update):
        await reply(update, render("non_text"))


async def stale_button(update: Update, context: Context) -> None:
    """A button whose data no handler accepts (old keyboard, forged data)."""
    await answer_query(update, render("stale_button"), alert=True)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    MessageHandler(filters.COMMAND, unknown_command),
    MessageHandler(
        ~filters.TEXT & ~filters.StatusUpdate.ALL & filters.UpdateType.MESSAGE, non_text
    ),
    CallbackQueryHandler(stale_button),
]
