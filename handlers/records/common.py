"""What the records handlers share: the enterprise a person's command acts on."""

from __future__ import annotations

from datetime import date, datetime

from telegram import Update

from bot.kit import Context
from bot.models import utcnow
from bot.records.enterprises import ROLES, chosen_enterprise
from bot.records.models import Enterprise
from bot.render import label, render
from handlers.common import button, keyboard, reply, user_id

__all__ = ["current_enterprise", "now", "role_names", "splits", "today"]


def role_names(roles: list[str] | set[str]) -> str:
    """Role keys as Chinese names: 主要负责人、食品安全总监."""
    return "、".join(ROLES[r] for r in ROLES if r in roles)


def splits(text: str, n: int) -> list[str]:
    """The command's argument text in at most n parts (the last keeps its spaces)."""
    return text.split(maxsplit=n - 1) if text else []


async def current_enterprise(update: Update, context: Context) -> Enterprise | None:
    """The enterprise the person acts on; tells them how to join or choose when there is none."""
    enterprise, mine = await context.db(chosen_enterprise, user_id(update))
    if enterprise is not None:
        return enterprise
    if not mine:
        await reply(update, render("rec_none"))
        return None
    rows = [[button(label("rec_use", name=e.name), f"rec:use:{e.id}")] for e, _ in mine]
    await reply(update, render("rec_choose"), keyboard(rows))
    return None


def now() -> datetime:
    """The current time (UTC); the one place tests move the clock for this feature."""
    return utcnow()


def today(context: Context) -> date:
    """Today in the bot's time zone."""
    return now().astimezone(context.bot_data.settings.tz).date()
