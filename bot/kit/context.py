"""The typed context: settings, the database, one clock and one random source.

Every handler and job reads the time through context.now() (a job without a context through
app.bot_data.clock()) and draws randomness from context.rng. Tests move the clock and seed the
randomness by giving build_application() their own.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlmodel import Session
from telegram.ext import Application, CallbackContext, ExtBot

from bot.db import session_scope
from bot.models import utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from telegram import Update

    from bot.config import Settings
    from bot.features import Feature
    from bot.users import Roles
    from knowledge.search import KnowledgeIndex
    from knowledge.tips import Tip

__all__ = ["App", "BotData", "Context"]


class BotData:
    """Filled once by build_application(); PTB needs the no-argument constructor."""

    settings: Settings
    engine: Engine
    roles: Roles
    knowledge: KnowledgeIndex
    tips: dict[str, Tip]
    features: tuple[Feature, ...]
    # deep-link prefix ("vote", "exam") -> handler(update, context, argument)
    deep_links: dict[str, Callable[[Update, Context, str], Awaitable[None]]]
    # menu button key (labels.yaml) -> handler(update, context)
    menu_actions: dict[str, Callable[[Update, Context], Awaitable[None]]]
    # private free text is offered to these first (drafts awaiting input); True = consumed
    text_interceptors: list[Callable[[Update, Context], Awaitable[bool]]]
    # async hooks run once in post_init (re-register jobs, resume broadcasts)
    startup_hooks: list[Callable[[Any], Awaitable[None]]]
    # the one clock (UTC, aware) and the one random source (codes must not be guessable)
    clock: Callable[[], datetime]
    rng: random.Random
    extras: dict[str, Any]

    def __init__(self) -> None:
        self.clock = utcnow
        self.rng = random.SystemRandom()
        self.features = ()
        self.startup_hooks = []
        self.text_interceptors = []
        self.deep_links = {}
        self.menu_actions = {}
        self.extras = {}


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """What every handler and job is given (ContextTypes(context=Context) in bot/app.py)."""

    @property
    def settings(self) -> Settings:
        """The application's settings."""
        return self.bot_data.settings

    @contextmanager
    def db(self) -> Iterator[Session]:
        """A session for this update's unit of work, committed by the services."""
        with session_scope(self.bot_data.engine) as session:
            yield session

    def now(self) -> datetime:
        """The one clock (UTC)."""
        return self.bot_data.clock()

    @property
    def rng(self) -> random.Random:
        """The one random source."""
        return self.bot_data.rng


App: TypeAlias = Application[Any, Any, Any, Any, BotData, Any]
