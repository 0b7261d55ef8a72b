"""While a candidate sits a supervised exam, every other feature answers "考试进行中".

One handler in its own group, before every feature (bot/app.py): it lets the exam itself, /help
and /cancel through and stops everything else with ApplicationHandlerStop, recording the try on
the attempt. Cost: one indexed query per message or button press (Attempt.user_id), none for
the exam's link, /help and /cancel.
"""

from __future__ import annotations

from typing import Any

from telegram import MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.exams.supervision import open_sitting, record_refusal
from bot.kit import Context, answer_query, reply
from bot.render import render

__all__ = ["HANDLERS", "allowed_during_exam", "always_allowed"]

ALLOWED_COMMANDS = ("/help", "/cancel", "/start exam_")


def always_allowed(update: Update) -> bool:
    """The exam's link and start buttons, /help and /cancel: allowed whatever runs."""
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith("exs:")
    text = (update.message.text if update.message else None) or ""
    return text.startswith(ALLOWED_COMMANDS)


def allowed_during_exam(update: Update, attempt_id: int) -> bool:
    """Also the buttons of this very sitting (not of an older practice round)."""
    parts = ((update.callback_query.data if update.callback_query else None) or "").split(":")
    return always_allowed(update) or (parts[0] == "ex" and parts[2:3] == [str(attempt_id)])


def _for_the_bot(update: Update) -> bool:
    """A button press, anything in a private chat, or a command or mention in a group."""
    message = update.message
    if update.callback_query is not None:
        return True
    if message is None:
        return False
    if message.chat.type == ChatType.PRIVATE:
        return True
    mentions = message.parse_entities([MessageEntity.MENTION, MessageEntity.BOT_COMMAND])
    return bool(mentions)


def _what(update: Update) -> str:
    """What was tried, for the inspector; never the person's own words."""
    if update.callback_query is not None:
        return "按钮 " + ":".join((update.callback_query.data or "").split(":")[:2])
    text = (update.message.text if update.message else None) or ""
    if text.startswith("/"):
        return text.split()[0].split("@")[0]
    return f"文字消息（{len(text)} 字）" if text else "其他消息"


async def guard(update: Update, context: Context) -> None:
    """Refuse and record anything but the exam while the user's sitting runs."""
    user = update.effective_user
    if user is None or not _for_the_bot(update) or always_allowed(update):
        return
    attempt_id = await context.db(open_sitting, user.id, context.now())
    if attempt_id is None or allowed_during_exam(update, attempt_id):
        return
    tz = context.bot_data.settings.tz
    await context.db(record_refusal, attempt_id, _what(update), now=context.now(), tz=tz)
    if update.callback_query is not None:
        await answer_query(update, render("exam_in_progress", alert=True), alert=True)
    elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
        await reply(update, render("exam_in_progress", alert=False))
    # In a group the refusal is silent: a reply there would tell everyone about the exam.
    raise ApplicationHandlerStop


HANDLERS: list[BaseHandler[Update, Context, Any]] = [TypeHandler(Update, guard)]
