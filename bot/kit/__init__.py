"""The handler kit: what every feature's handlers and jobs share (see each module)."""

from bot.kit.context import App, BotData, Context
from bot.kit.registration import (
    DeepLink,
    Handler,
    MenuAction,
    Registration,
    StartupWork,
    TextInput,
    send,
)

__all__ = [
    "App",
    "BotData",
    "Context",
    "DeepLink",
    "Handler",
    "MenuAction",
    "Registration",
    "StartupWork",
    "TextInput",
    "send",
]
