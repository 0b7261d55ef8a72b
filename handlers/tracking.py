"""Runs before every other handler: keeps the User row fresh and notices blocks."""

from __future__ import annotations

from typing import Any

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import BaseHandler, ChatMemberHandler, TypeHandler

from bot.kit import Context
from bot.models import User
from bot.users import mark_blocked, upsert_user
from handlers.common import db
from handlers.staff.roles import first_seen

__all__ = ["HANDLERS"]


async def track_user(update: Update, context: Context) -> None:
    """Upsert the sender on every update that has one."""
    user = update.effective_user
    if user is None or user.is_bot or update.my_chat_member is not None:
        return
    with db(context) as session:
        known = session.get(User, user.id) is not None
        upsert_user(session, user_id=user.id, display_name=user.full_name, username=user.username)
    if not known:
        await first_seen(context, user.id)


async def track_block(update: Update, context: Context) -> None:
    """A private chat's my_chat_member says the user blocked or unblocked the bot."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    with db(context) as session:
        mark_blocked(session, user_id=change.chat.id, blocked=blocked)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    TypeHandler(Update, track_user),
    ChatMemberHandler(track_block, ChatMemberHandler.MY_CHAT_MEMBER),
]
