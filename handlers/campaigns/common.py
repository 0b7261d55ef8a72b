"""Helpers shared by the citizen and staff sides of 你点我检."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import wraps
from typing import TypeVar

from sqlmodel import Session
from telegram import Message, Update
from telegram.ext import filters

from bot.kit import Context, Refusal, refuse
from bot.models import Campaign, as_utc
from bot.render import label, render
from handlers.common import HandlerFn, answer_query, parse_int, reply, require_admin

T = TypeVar("T")
# How long a press may wait for the database before it is answered anyway (Telegram: 15 s).
SLOW_PRESS = 2.0

__all__ = [
    "ReplyToTag",
    "attempt",
    "ballot_link",
    "callback_number",
    "local",
    "own_chat",
    "status_name",
    "with_campaign_id",
]


def local(value: datetime | None) -> datetime | None:
    """A stored time made timezone-aware (SQLite returns it naive) for display."""
    return as_utc(value) if value is not None else None


def status_name(campaign: Campaign) -> str:
    """草稿 / 投票中 / 已结束 / 已公布."""
    return label(f"camp_status_{campaign.status}")


def ballot_link(context: Context, campaign_id: int) -> str:
    """The deep link that opens a campaign's ballot in a private chat."""
    return f"https://t.me/{context.bot.username}?start=vote_{campaign_id}"


def callback_number(update: Update, index: int) -> int:
    """The index-th field of the pressed button's data (handler patterns allow digits only)."""
    assert update.callback_query is not None and update.callback_query.data is not None
    return parse_int(update.callback_query.data.split(":")[index]) or 0


def own_chat(update: Update) -> bool:
    """A ballot lives in the voter's private chat; a press anywhere else is refused."""
    chat, user = update.effective_chat, update.effective_user
    return chat is not None and user is not None and chat.id == user.id


async def attempt(
    update: Update, context: Context, work: Callable[[Session], T], *, early: bool = False
) -> T | None:
    """Run one unit of work off the event loop; a refusal is told to the user and gives None.

    early (a press whose answer normally has no text): when the database is slow (a held lock,
    a burst of voters), the press is answered after SLOW_PRESS seconds rather than spinning
    until Telegram gives up; a refusal found later is then told as a message.
    """
    task = asyncio.ensure_future(context.db(work))
    if early and update.callback_query is not None:
        done, _ = await asyncio.wait({task}, timeout=SLOW_PRESS)
        if not done:
            await answer_query(update)
            context.mark_press_answered()
    try:
        return await task
    except Refusal as refusal:
        await refuse(update, refusal, answered=context.press_answered)
        return None


def with_campaign_id(
    command: str,
) -> Callable[[Callable[[Update, Context, int], Awaitable[None]]], HandlerFn]:
    """An admin command taking a campaign number: `/command 编号`, usage shown otherwise."""

    def decorator(fn: Callable[[Update, Context, int], Awaitable[None]]) -> HandlerFn:
        @require_admin
        @wraps(fn)
        async def handler(update: Update, context: Context) -> None:
            campaign_id = parse_int((context.args or [""])[0]) if context.args else None
            if campaign_id is None:
                await reply(update, render("bad_usage", usage=f"/{command} 编号", hint=""))
                return
            await fn(update, context, campaign_id)

        return handler

    return decorator


class ReplyToTag(filters.MessageFilter):
    """A reply to one of the bot's prompts that starts with a tag (【其他建议】, 【新建活动】)."""

    def __init__(self, label_key: str) -> None:
        super().__init__(name=f"ReplyToTag({label_key})")
        self.label_key = label_key

    def filter(self, message: Message) -> bool:
        """True for a reply to a bot prompt carrying the tag."""
        replied = message.reply_to_message
        return bool(
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and (replied.text or "").startswith(label(self.label_key))
        )
