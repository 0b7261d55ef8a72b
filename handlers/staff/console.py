"""/console: a staff member's single-use sign-in link to the web console (private chat only)."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update

from bot.console.auth import LINK_LIFETIME, create_link, link_url
from bot.kit import Context
from bot.models import utcnow
from bot.render import render
from handlers.common import is_private, reply, require_inspector, user_id

__all__ = ["console_link"]


@require_inspector
async def console_link(update: Update, context: Context) -> None:
    """/console — reply with a sign-in link (no preview: a preview fetch must not see it)."""
    if not is_private(update) or update.effective_message is None:
        await reply(update, render("console_private"))
        return
    token = await context.db(create_link, user_id=user_id(update), now=utcnow())
    url = link_url(context.bot_data.settings.console_url, token)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    await update.effective_message.reply_text(
        render("console_link", url=url, minutes=minutes),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
