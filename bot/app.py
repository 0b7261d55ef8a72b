"""Wiring: build the PTB Application with its services, handlers and jobs."""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy.engine import Engine
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.config import Settings
from bot.context import BotData, Context
from bot.db import create_tables, make_engine
from bot.features import load_features
from bot.ratelimit import BotRateLimiter
from bot.users import Roles

__all__ = ["OFFLINE_TOKEN", "build_application", "command_menu"]

logger = logging.getLogger(__name__)

# The sandbox accepts any well-formed token; this one is used when none is configured.
OFFLINE_TOKEN = "123456789:OFFLINE-SANDBOX-TOKEN-0000000000000"

App = Application[Any, Context, dict[Any, Any], dict[Any, Any], BotData, Any]


def command_menu(bot_data: BotData, roles: set[str]) -> list[BotCommand]:
    """The slash-command menu for someone holding these roles (always includes 'user')."""
    commands = [BotCommand("menu", "主菜单"), BotCommand("help", "使用帮助")]
    for feature in bot_data.features:
        for cmd in feature.commands:
            if cmd.role in roles:
                commands.append(BotCommand(cmd.name, cmd.help[:256]))
    commands.append(BotCommand("profile", "修改经营类型"))
    return commands[:100]


async def _post_init(app: App) -> None:
    data = app.bot_data
    await app.bot.set_my_commands(command_menu(data, {"user"}), scope=BotCommandScopeDefault())
    staff: dict[int, set[str]] = {}
    for uid in data.settings.inspector_user_ids:
        staff.setdefault(uid, {"user"}).add("inspector")
    for uid in data.settings.admin_user_ids:
        staff.setdefault(uid, {"user"}).update({"inspector", "admin"})
    for uid, roles in staff.items():
        try:
            await app.bot.set_my_commands(
                command_menu(data, roles), scope=BotCommandScopeChat(uid)
            )
        except TelegramError as exc:  # staff who never opened the bot have no chat yet
            logger.info("Staff command menu for %s not set: %s", uid, exc)
    from scheduler.setup import on_startup

    await on_startup(app)


async def _post_shutdown(app: App) -> None:
    app.bot_data.engine.dispose()


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    engine: Engine | None = None,
    token: str | None = None,
) -> App:
    """Build the Application: HTML + Asia/Shanghai defaults, rate limiter, typed bot_data."""
    from handlers import register
    from knowledge import default_index
    from knowledge.tips import load_tips

    # Opt in to PTB's timedelta durations (RetryAfter.retry_after); the int form is deprecated.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    engine = engine or make_engine(settings.database_url)
    create_tables(engine)
    builder = (
        ApplicationBuilder()
        .token(token or OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(bot_data=BotData))
        .rate_limiter(
            BotRateLimiter(overall_max_rate=settings.telegram_flood_limit, max_retries=3)
        )
        .concurrent_updates(64)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app: App = builder.build()
    data = app.bot_data
    data.settings = settings
    data.engine = engine
    data.roles = Roles(frozenset(settings.admin_user_ids), frozenset(settings.inspector_user_ids))
    data.knowledge = default_index()
    data.tips = load_tips()  # a broken tip template stops start-up here, naming the file
    enabled = register(app)
    data.features = load_features(enabled)
    return app
