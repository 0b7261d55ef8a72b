"""getMe, the command menu, the menu button, getChat, logOut and close."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.sandbox.errors import bad_request
from bot.sandbox.params import Params, opt_dict, opt_int, opt_list, opt_str
from bot.sandbox.state import JsonDict

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
MAX_COMMANDS = 100


def get_me(emu: BotApiEmulator, _params: Params) -> JsonDict:
    """getMe."""
    return {
        **emu.bot.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": not emu.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def scope_key(scope: dict[str, Any] | None) -> str:
    """A stable key for a BotCommandScope object."""
    if not scope:
        return "default"
    parts = [str(scope.get("type", "default"))]
    for name in ("chat_id", "user_id"):
        if scope.get(name) is not None:
            parts.append(str(scope[name]))
    return ":".join(parts)


def _command_key(emu: BotApiEmulator, params: Params) -> tuple[str, str]:
    scope = opt_dict(params, "scope")
    if scope is not None and scope.get("chat_id") is not None:
        emu.resolve_chat(scope)
    return scope_key(scope), opt_str(params, "language_code") or ""


def set_my_commands(emu: BotApiEmulator, params: Params) -> bool:
    """setMyCommands."""
    commands: list[Any] = opt_list(params, "commands") or []
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands")
    stored: list[JsonDict] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        stored.append({"command": name, "description": description})
    emu.commands[_command_key(emu, params)] = stored
    return True


def get_my_commands(emu: BotApiEmulator, params: Params) -> list[JsonDict]:
    """getMyCommands for exactly this scope and language."""
    return list(emu.commands.get(_command_key(emu, params), []))


def delete_my_commands(emu: BotApiEmulator, params: Params) -> bool:
    """deleteMyCommands."""
    emu.commands.pop(_command_key(emu, params), None)
    return True


def set_chat_menu_button(emu: BotApiEmulator, params: Params) -> bool:
    """setChatMenuButton: per private chat, or the default when chat_id is left out."""
    button = opt_dict(params, "menu_button") or {"type": "default"}
    if opt_int(params, "chat_id") is None:
        emu.default_menu_button = button
    else:
        emu.resolve_chat(params).menu_button = button
    return True


def get_chat_menu_button(emu: BotApiEmulator, params: Params) -> JsonDict:
    """getChatMenuButton."""
    if opt_int(params, "chat_id") is None:
        return emu.default_menu_button
    return emu.resolve_chat(params).menu_button or emu.default_menu_button


def get_chat(emu: BotApiEmulator, params: Params) -> JsonDict:
    """getChat: a ChatFullInfo with the fields every chat has."""
    chat = emu.resolve_chat(params)
    return {
        **chat.to_json(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def log_out(emu: BotApiEmulator, _params: Params) -> bool:
    """logOut."""
    emu.logged_out = True
    return True


def close(_emu: BotApiEmulator, _params: Params) -> bool:
    """close."""
    return True
