"""Typed bot_data: the long-lived services every handler reaches through the context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram.ext import Application, CallbackContext, ExtBot

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
    extras: dict[str, Any]

    def __init__(self) -> None:
        self.features = ()
        self.startup_hooks = []
        self.text_interceptors = []
        self.deep_links = {}
        self.menu_actions = {}
        self.extras = {}


Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
App: TypeAlias = Application[Any, Any, Any, Any, BotData, Any]
