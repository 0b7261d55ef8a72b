"""包保 for inspectors: /assign enterprises to an inspector, /digest of one's enterprises."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.kit import Context
from bot.records import steps
from bot.records.assignments import digest, digest_week
from bot.render import render
from handlers.common import args_text, parse_int, reply, require_inspector, user_id
from handlers.records.common import now

__all__ = ["HANDLERS"]


@require_inspector
async def assign_command(update: Update, context: Context) -> None:
    """/assign 企业编号 [监管人员ID] — take an enterprise (admins assign anyone)."""
    words = args_text(context).split()
    uid = user_id(update)
    enterprise_id = parse_int(words[0]) if words else None
    inspector = parse_int(words[1]) if len(words) == 2 else uid if len(words) == 1 else None
    allowed = inspector == uid or context.bot_data.roles.is_admin(uid)
    valid = inspector is not None and await context.is_inspector(inspector)
    if enterprise_id is None or inspector is None or not allowed or not valid:
        hint = "监管人员ID 须是监管人员；只有管理员可以分配给别人"
        await reply(update, render("bad_usage", usage="/assign 企业编号 [监管人员ID]", hint=hint))
        return
    e = await context.db(steps.assign_audited, enterprise_id, inspector, by=uid)
    if e is None:
        await reply(update, render("rec_unknown_enterprise", id=enterprise_id))
        return
    await reply(update, render("rec_assigned", e=e, inspector=inspector))


@require_inspector
async def digest_command(update: Update, context: Context) -> None:
    """/digest — the inspector's enterprises over the last week, the ones to visit first."""
    tz = context.bot_data.settings.tz
    rows = await context.db(digest, user_id(update), now=now(), tz=tz)
    monday = digest_week(now(), tz)
    await reply(
        update, render("rec_digest", rows=rows, monday=monday, sunday=monday + timedelta(days=6))
    )


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("assign", assign_command),
    CommandHandler("digest", digest_command),
]
