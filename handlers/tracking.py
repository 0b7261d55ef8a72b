"""Runs before every other handler: keeps the User row fresh and notices blocks.

The sender's row is read once here and kept on the context for the update's other handlers.
A known sender's refresh (last seen, a new name) is written in the background: the reply never
waits for it, so a locked database does not hold up people it need not. A new sender's row (and
an unblocking) is written before the features run, since they read it.
"""

from __future__ import annotations

from typing import Any

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import BaseHandler, ChatMemberHandler, TypeHandler

from bot.kit import Context
from bot.users import find_user, is_fresh, mark_blocked, upsert_user
from handlers.staff.roles import first_seen

__all__ = ["HANDLERS"]


async def track_user(update: Update, context: Context) -> None:
    """Upsert the sender on every update that has one."""
    user = update.effective_user
    if user is None or user.is_bot or update.my_chat_member is not None:
        return
    name, username = user.full_name, user.username
    row = await context.db(find_user, user.id)
    context.remember_sender(user.id, row)
    if row is not None and is_fresh(row, display_name=name, username=username):
        return
    write = context.db(upsert_user, user_id=user.id, display_name=name, username=username)
    if row is None or row.blocked:  # features read the row; a returning user is reachable again
        context.remember_sender(user.id, await write)
        if row is None:
            await first_seen(context, user.id)  # staff from the settings get their menu now
    else:
        context.application.create_task(write, update=update, name="refresh-user")


async def track_block(update: Update, context: Context) -> None:
    """A private chat's my_chat_member says the user blocked or unblocked the bot."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await context.db(mark_blocked, user_id=change.chat.id, blocked=blocked)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    TypeHandler(Update, track_user),
    ChatMemberHandler(track_block, ChatMemberHandler.MY_CHAT_MEMBER),
]
