"""The handler kit: what every feature's handlers and jobs share.

A feature hands the wiring (bot/app.py) one Registration: its handlers, the deep links and main
menu buttons it answers, the work it does at start-up and the typed input it waits for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from sqlmodel import Session
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.kit.context import App, Context

__all__ = [
    "DeepLink",
    "Handler",
    "MenuAction",
    "Registration",
    "StartupWork",
    "TextInput",
    "TextProbe",
]

Handler: TypeAlias = BaseHandler[Update, Context, Any]
# start=<prefix>_<argument> -> handler(update, context, argument)
DeepLink: TypeAlias = Callable[[Update, Context, str], Awaitable[None]]
# a main-menu button (its labels.yaml key) -> handler(update, context)
MenuAction: TypeAlias = Callable[[Update, Context], Awaitable[None]]
# private free text is offered to these first; True = consumed (a draft was waiting for it)
TextInput: TypeAlias = Callable[[Update, Context], Awaitable[bool]]
# does this user's text belong to the feature? (session, user_id, now, text) -> bool; a read,
# no write: a draft waiting for it, or a text of the feature's own shape (a typed exam code).
# The probes of every feature run together in one database call before any text input does.
TextProbe: TypeAlias = Callable[[Session, int, datetime, str], bool]
# run once in post_init: jobs live in memory, so each start re-creates them from their rows
StartupWork: TypeAlias = Callable[[App], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Registration:
    """Everything one feature adds to the application (bot/app.py lists them in order)."""

    name: str  # the feature's package: bot/<name>/, handlers/<name>/, templates/<name>/
    section: str  # the features.yaml entry its commands are listed under in /help
    handlers: tuple[Handler, ...] = ()
    deep_links: Mapping[str, DeepLink] = field(default_factory=dict)
    menu_actions: Mapping[str, MenuAction] = field(default_factory=dict)
    startup: tuple[StartupWork, ...] = ()
    text_inputs: tuple[TextInput, ...] = ()
    # when set, text_inputs are tried only for users this says are owing text (else always)
    text_probe: TextProbe | None = None
    # free text that is a question: tried after every feature's commands and buttons
    text_handlers: tuple[Handler, ...] = ()

    @property
    def commands(self) -> frozenset[str]:
        """The slash commands this feature answers."""
        return frozenset(
            command
            for handler in (*self.handlers, *self.text_handlers)
            if isinstance(handler, CommandHandler)
            for command in handler.commands
        )
