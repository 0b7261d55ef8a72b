"""The handler kit: what every feature's handlers and jobs share (see each module)."""

from bot.kit.context import App, BotData, Context
from bot.kit.refusal import Refusal, refusal_text
from bot.kit.registration import (
    DeepLink,
    Handler,
    MenuAction,
    Registration,
    StartupWork,
    TextInput,
    TextProbe,
)
from bot.kit.replies import answer_query, edit_pressed, is_not_modified, refuse, reply, send

__all__ = [
    "App",
    "BotData",
    "Context",
    "DeepLink",
    "Handler",
    "MenuAction",
    "Refusal",
    "Registration",
    "StartupWork",
    "TextInput",
    "TextProbe",
    "answer_query",
    "edit_pressed",
    "is_not_modified",
    "refusal_text",
    "refuse",
    "reply",
    "send",
]
