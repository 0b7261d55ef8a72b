"""Wiring: build the PTB Application with its services, handlers and jobs."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.config import Settings
from bot.db import make_engine
from bot.features import load_features
from bot.kit import App, BotData, Context, Registration
from bot.ratelimit import BotRateLimiter
from bot.render import configure_timezone
from bot.users import Roles

__all__ = ["OFFLINE_TOKEN", "build_application", "registrations"]

logger = logging.getLogger(__name__)

# The sandbox accepts any well-formed token; this one is used when none is configured.
OFFLINE_TOKEN = "123456789:OFFLINE-SANDBOX-TOKEN-0000000000000"


def registrations() -> tuple[Registration, ...]:
    """Every feature, in the order its handlers are tried and its start-up work is done."""
    from handlers import broadcasts, campaigns, exams, guidance, records, staff, tips

    return (
        # Command menus first: they are what a person sees before anything else runs.
        staff.REGISTRATION,
        guidance.REGISTRATION,
        campaigns.REGISTRATION,
        # Tips before broadcasts: its start-up resumes broadcasts interrupted by a stop.
        tips.REGISTRATION,
        broadcasts.REGISTRATION,
        exams.REGISTRATION,
        # The enterprises' own 日管控/周排查/月调度 records; reminders go via broadcasts.
        records.REGISTRATION,
    )


def _register(app: App, features: tuple[Registration, ...]) -> None:
    """Add all handlers; the order inside group 0 matters, see the comments."""
    from handlers import errors, fallback, start, tracking
    from handlers.exams import lockout

    data = app.bot_data
    # group -2 sees every update first and never stops it: user rows and block tracking.
    app.add_handlers(tracking.HANDLERS, group=-2)
    # group -1: a candidate in a supervised exam gets "考试进行中" from every other feature.
    app.add_handlers(lockout.HANDLERS, group=-1)
    # /start, /help, /menu, /profile before the features so their commands always win.
    app.add_handlers(start.HANDLERS)
    for feature in features:
        # Commands and buttons of each feature; free text comes later.
        app.add_handlers(feature.handlers)
        data.deep_links.update(feature.deep_links)
        data.menu_actions.update(feature.menu_actions)
        data.startup_hooks.extend(feature.startup)
        if feature.text_inputs:
            data.text_interceptors.append((feature.text_probe, feature.text_inputs))
    # Free text is a question: after every command and every feature's buttons.
    for feature in features:
        app.add_handlers(feature.text_handlers)
    # Unknown commands, non-text messages and stale buttons: last.
    app.add_handlers(fallback.HANDLERS)
    app.add_error_handler(errors.error_handler)


async def _post_init(app: App) -> None:
    """Each feature's start-up work: jobs live in memory, so they are re-created from rows."""
    for work in app.bot_data.startup_hooks:
        await work(app)
        logger.info("Start-up work %s done", getattr(work, "__qualname__", work))


async def _post_shutdown(app: App) -> None:
    app.bot_data.engine.dispose()


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    engine: Engine | None = None,
    token: str | None = None,
    clock: Callable[[], datetime] | None = None,
    rng: random.Random | None = None,
) -> App:
    """Build the Application: HTML + Asia/Shanghai defaults, rate limiter, typed bot_data."""
    from knowledge import default_index
    from knowledge.tips import load_tips

    # Opt in to PTB's timedelta durations (RetryAfter.retry_after); the int form is deprecated.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    engine = engine or make_engine(settings.database_url)
    builder = (
        ApplicationBuilder()
        .token(token or OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(context=Context, bot_data=BotData))
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
    configure_timezone(settings.timezone)  # one zone: the job queue's (Defaults) and every date
    data.engine = engine
    data.clock = clock or data.clock
    data.rng = rng or data.rng
    data.roles = Roles(frozenset(settings.admin_user_ids), frozenset(settings.inspector_user_ids))
    data.knowledge = default_index()
    data.tips = load_tips()  # a broken tip template stops start-up here, naming the file
    features = registrations()
    _register(app, features)
    data.features = load_features(frozenset(f.section for f in features))
    return app
