"""/check_time, /rest_days, /holidays_off, /day_off and /records_settings for one enterprise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.kit import Context
from bot.records import settings as svc
from bot.records.enterprises import roles_in
from bot.render import render
from handlers.common import reply, user_id
from handlers.records.common import current_enterprise, today

__all__ = ["HANDLERS"]

MANAGERS = {"principal", "director"}
_ACTIONS = {
    "check_time": svc.set_check_time,
    "rest_days": svc.set_rest_days,
    "holidays_off": svc.set_holidays_off,
}


async def show(update: Update, context: Context) -> None:
    """/records_settings — when the enterprise checks and when it rests."""
    e = await current_enterprise(update, context)
    if e is None or e.id is None:
        return
    days = [d.isoformat() for d in await context.db(svc.days_off, e.id, today(context))]
    example = (today(context) + timedelta(days=1)).isoformat()  # a day off ahead, not a past one
    await reply(
        update,
        render("rec_settings", e=e, rest=svc.rest_day_names(e), days=days, example=example),
    )


async def change(update: Update, context: Context) -> None:
    """One of the setting commands: parse, check the role, store, show the settings."""
    assert update.message is not None and update.message.text
    command = update.message.text.split()[0].lstrip("/").split("@")[0]
    uid = user_id(update)
    e = await current_enterprise(update, context)
    if e is None or e.id is None:
        return
    if not await context.db(roles_in, uid, e.id) & MANAGERS:
        text = render("rec_not_allowed", roles="主要负责人、食品安全总监", action="修改设置")
        await reply(update, text)
        return
    words = list(context.args or [])
    if command == "day_off":
        error = await context.db(svc.add_days_off, e, words, by=uid)
    else:
        error = await context.db(_ACTIONS[command], e, words)
    if error:
        await reply(update, render("bad_usage", usage=f"/{command}", hint=error))
        return
    await show(update, context)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("records_settings", show),
    *(CommandHandler(name, change) for name in (*_ACTIONS, "day_off")),
]
