"""answerCallbackQuery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sandbox import errors
from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.params import Params, opt_bool, opt_int, opt_str, req_str

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

MAX_ANSWER_TEXT = 200


def answer_callback_query(emu: BotApiEmulator, params: Params) -> bool:
    """answerCallbackQuery: once per query, within callback_query_timeout seconds."""
    record = emu.callback_queries.get(req_str(params, "callback_query_id"))
    if record is None or record.answered:
        raise ApiError(400, errors.QUERY_TOO_OLD)
    if emu.clock() - record.created_at > emu.callback_query_timeout:
        raise ApiError(400, errors.QUERY_TOO_OLD)
    text = opt_str(params, "text")
    if text is not None and len(text) > MAX_ANSWER_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.text = text
    record.show_alert = opt_bool(params, "show_alert")
    record.url = opt_str(params, "url")
    record.cache_time = opt_int(params, "cache_time")
    emu.callback_answers.append(record)
    return True
