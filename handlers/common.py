"""Small helpers every handler module shares: sessions, replies, staff checks, keyboards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import wraps
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.broadcasts.quiet import QuietNow, quiet_now
from bot.kit import Context, answer_query, reply
from bot.render import label, render

__all__ = [
    "HandlerFn",
    "answer_query",
    "button",
    "keyboard",
    "reply",
    "require_admin",
    "require_inspector",
    "send_choice",
    "sent_at_night",
    "user_id",
]

HandlerFn = Callable[[Update, Context], Coroutine[Any, Any, None]]


def user_id(update: Update) -> int:
    """The id of the user behind the update (every handled update has one)."""
    user = update.effective_user
    if user is None:  # channel posts and the like never reach user-facing handlers
        raise LookupError("update without a user")
    return user.id


def button(text: str, data: str) -> InlineKeyboardButton:
    """An inline button; callback_data is feature:action:id[:arg] and at most 64 bytes."""
    if len(data.encode()) > 64:
        raise ValueError(f"callback_data too long: {data!r}")
    return InlineKeyboardButton(text[:64], callback_data=data)


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard, or None when there are no buttons."""
    rows = [list(r) for r in rows if r]
    return InlineKeyboardMarkup(rows) if rows else None


def is_private(update: Update) -> bool:
    """True in a one-to-one chat with the bot."""
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def _guard(
    check: Callable[[Update, Context], Awaitable[bool]], role: str
) -> Callable[[HandlerFn], HandlerFn]:
    def decorator(fn: HandlerFn) -> HandlerFn:
        @wraps(fn)
        async def wrapper(update: Update, context: Context) -> None:
            if await check(update, context):
                await fn(update, context)
                return
            text = render("admin_only", role=role)
            if update.callback_query is not None:
                await answer_query(update, text, alert=True)
            else:
                await reply(update, text)

        return wrapper

    return decorator


async def _is_admin(update: Update, context: Context) -> bool:
    return update.effective_user is not None and context.bot_data.roles.is_admin(
        update.effective_user.id
    )


async def _is_inspector(update: Update, context: Context) -> bool:
    if update.effective_user is None:
        return False
    return await context.is_inspector(update.effective_user.id)


require_admin = _guard(_is_admin, "管理员")
require_inspector = _guard(_is_inspector, "监管人员")


def args_text(context: Context) -> str:
    """The command's arguments joined back into one string."""
    return " ".join(context.args or []).strip()


def parse_int(value: str) -> int | None:
    """An int from user text, or None."""
    value = value.strip().lstrip("#")
    return int(value) if value.isdigit() and len(value) < 12 else None


NIGHT = ":night"


def send_choice(
    context: Context, data: str, recipients: int, *, confirm: str = "send_now"
) -> tuple[QuietNow | None, list[list[InlineKeyboardButton]]]:
    """A staff send preview's notice and buttons: in quiet hours, "from 08:00" or "at night"."""
    notice = quiet_now(context.settings, context.now(), recipients)
    if notice is None:
        return None, [[button(label(confirm), data)]]
    morning = label("send_morning", at=notice.resume_at.strftime("%H:%M"))
    return notice, [[button(morning, data)], [button(label("send_night"), data + NIGHT)]]


def sent_at_night(data: str) -> bool:
    """True when staff pressed "立即发送（夜间）" (callback data ending in :night)."""
    return data.endswith(NIGHT)
