"""reply_markup checks Telegram makes on its own (whether or not the spec is loaded)."""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import bad_request

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The markup if it is an inline keyboard with buttons (the only kind a message carries)."""
    if markup is None:
        return None
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not any(rows):
        return None
    return markup


def check_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Validate an inline keyboard like Telegram does; other markups pass through."""
    if markup is None or "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list):
        raise bad_request(
            'can\'t parse inline keyboard button: field "inline_keyboard" must be an Array'
        )
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed")
            if not button["text"]:
                raise bad_request("BUTTON_TEXT_EMPTY")
            if not any(action in button for action in _BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button:"
                    " Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and (
                not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64
            ):
                raise bad_request("BUTTON_DATA_INVALID")
    return markup
