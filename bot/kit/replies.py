"""Replies: send split at Telegram's limit, edit the pressed message, tell a refusal."""

from __future__ import annotations

import html
import logging

from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.kit.refusal import Refusal, refusal_text
from bot.render import is_blank, split_message

logger = logging.getLogger(__name__)

__all__ = [
    "answer_query",
    "drop_buttons",
    "edit_pressed",
    "is_not_modified",
    "refuse",
    "reply",
    "send",
]


async def send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> int | None:
    """Send HTML text split at Telegram's limit; the message id of the last part."""
    if is_blank(text):  # Telegram refuses it; refused here, before any request
        logger.warning("Refused to send a blank message to chat %s", chat_id)
        return None
    sent = None
    parts = split_message(text)
    for i, part in enumerate(parts):
        sent = await bot.send_message(
            chat_id, part, reply_markup=markup if i == len(parts) - 1 else None
        )
    return sent.message_id if sent else None


async def reply(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send HTML to the update's chat, split at Telegram's limit; buttons on the last part."""
    chat = update.effective_chat
    if chat is None:
        return None
    if is_blank(text):  # Telegram refuses it; refused here, before any request
        logger.warning("Refused to send a blank reply in update %s", update.update_id)
        return None
    parts = split_message(text)
    sent: Message | None = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await chat.send_message(part, reply_markup=markup if last else None)
    return sent


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the pressed button (Telegram shows a spinner until we do)."""
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200] if text else None, show_alert=alert)


def is_not_modified(exc: BadRequest) -> bool:
    """Telegram refused an edit that would change nothing (a double tap, a repeated figure)."""
    return "message is not modified" in exc.message.lower()


async def edit_pressed(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message in place; a double tap that changes nothing is fine."""
    assert update.callback_query is not None
    try:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


async def refuse(update: Update, refusal: Refusal, *, answered: bool = False) -> None:
    """Tell the user why: an alert on a button press (plain text), a message otherwise.

    `answered`: the press was answered already (at once, before slow work), so a message it is.
    """
    text = refusal_text(refusal)
    if update.callback_query is not None and not answered:
        await answer_query(update, html.unescape(text), alert=True)
    else:
        await reply(update, text)


async def drop_buttons(update: Update) -> None:
    """Remove the pressed message's buttons (once used); already gone (a double tap) is fine."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.edit_message_reply_markup(None)
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise
