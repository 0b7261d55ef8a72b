"""The handler kit: what every feature's handlers and jobs share (see each module)."""

from bot.kit.context import App, BotData, Context
from bot.kit.delivery import Outcome, deliver, is_chat_gone, is_uncertain
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
from bot.kit.replies import (
    answer_query,
    drop_buttons,
    edit_pressed,
    is_not_modified,
    refuse,
    reply,
    send,
)

__all__ = [
    "App",
    "BotData",
    "Context",
    "DeepLink",
    "Handler",
    "MenuAction",
    "Outcome",
    "Refusal",
    "Registration",
    "StartupWork",
    "TextInput",
    "TextProbe",
    "answer_query",
    "deliver",
    "drop_buttons",
    "edit_pressed",
    "is_chat_gone",
    "is_not_modified",
    "is_uncertain",
    "refusal_text",
    "refuse",
    "reply",
    "send",
]
