"""sendPoll and stopPoll (the user side votes through UserHandle.vote)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.methods.markup import check_markup
from bot.sandbox.methods.text import compose
from bot.sandbox.params import Params, opt_bool, opt_dict, opt_int, opt_list, opt_str, req_str
from bot.sandbox.state import JsonDict, PollOptionRecord, PollRecord

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

MAX_QUESTION = 300
MAX_OPTION = 100
MAX_EXPLANATION = 200
MIN_OPTIONS, MAX_OPTIONS = 2, 12


def _options(raw: list[Any]) -> list[PollOptionRecord]:
    if len(raw) < MIN_OPTIONS:
        raise bad_request("poll must have at least 2 option")
    if len(raw) > MAX_OPTIONS:
        raise bad_request("poll can't have more than 12 options")
    options: list[PollOptionRecord] = []
    for index, item in enumerate(raw):
        # Bot API 7.3+ sends InputPollOption objects; plain strings are the legacy form.
        source: dict[str, Any] = item if isinstance(item, dict) else {"text": item}
        text = source.get("text")
        if not isinstance(text, str):
            raise bad_request("poll options must be strings")
        plain, entities = compose(
            text, opt_str(source, "text_parse_mode"), opt_list(source, "text_entities")
        )
        if not plain:
            raise bad_request("poll options must be non-empty")
        if len(plain) > MAX_OPTION:
            raise bad_request("poll options length must not exceed 100")
        options.append(PollOptionRecord(plain, str(index), entities))
    return options


def send_poll(emu: BotApiEmulator, params: Params) -> JsonDict:
    """sendPoll (regular and quiz)."""
    chat = emu.resolve_chat(params)
    emu.check_can_write(chat)
    question, question_entities = compose(
        req_str(params, "question", "Bad Request: poll question must be non-empty"),
        opt_str(params, "question_parse_mode"),
        opt_list(params, "question_entities"),
    )
    if not question:
        raise bad_request("poll question must be non-empty")
    if len(question) > MAX_QUESTION:
        raise bad_request("poll question length must not exceed 300")
    options = _options(opt_list(params, "options") or [])
    kind = opt_str(params, "type") or "regular"
    if kind not in ("regular", "quiz"):
        raise bad_request("wrong poll type specified")
    correct = _correct_ids(params, kind, len(options))
    explanation, explanation_entities = _explanation(params)
    markup = check_markup(opt_dict(params, "reply_markup"))
    reply_to = emu.reply_target(chat, params)
    emu.acquire_send(chat)
    open_period = opt_int(params, "open_period")
    close_date = opt_int(params, "close_date")
    if open_period is not None:
        close_date = emu.now_unix() + open_period
    poll = PollRecord(
        id=str(5_000_000_000_000_000_000 + emu.new_id()),
        chat_id=chat.id,
        message_id=0,
        question=question,
        options=options,
        type=kind,
        is_anonymous=opt_bool(params, "is_anonymous", True),
        allows_multiple_answers=opt_bool(params, "allows_multiple_answers"),
        allows_revoting=opt_bool(params, "allows_revoting", kind == "regular"),
        correct_option_ids=correct,
        question_entities=question_entities,
        explanation=explanation,
        explanation_entities=explanation_entities,
        open_period=open_period,
        close_date=close_date,
        is_closed=opt_bool(params, "is_closed"),
    )
    message = emu.add_message(
        chat, emu.bot, poll_id=poll.id, reply_markup=markup, reply_to_message_id=reply_to
    )
    poll.message_id = message.message_id
    emu.polls[poll.id] = poll
    return emu.message_json(message)


def _correct_ids(params: Params, kind: str, count: int) -> list[int] | None:
    raw = opt_list(params, "correct_option_ids")
    if raw is None and params.get("correct_option_id") is not None:
        raw = [params["correct_option_id"]]  # pre-9.6 clients
    if kind != "quiz":
        return None
    if not raw:
        raise bad_request("quiz poll must have a correct option")
    ids: list[int] = []
    for value in raw:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < count:
            raise bad_request("wrong correct option ID specified")
        ids.append(value)
    return ids


def _explanation(params: Params) -> tuple[str | None, list[JsonDict]]:
    raw = opt_str(params, "explanation")
    if raw is None:
        return None, []
    text, entities = compose(
        raw, opt_str(params, "explanation_parse_mode"), opt_list(params, "explanation_entities")
    )
    if len(text) > MAX_EXPLANATION or text.count("\n") > 2:
        raise bad_request("poll explanation is too long")
    return text, entities


def stop_poll(emu: BotApiEmulator, params: Params) -> JsonDict:
    """stopPoll: closes the poll, optionally replaces the keyboard, emits a poll update."""
    chat = emu.resolve_chat(params)
    message = emu.find_message(chat, opt_int(params, "message_id"))
    if message is None or message.poll_id is None or not message.from_bot:
        raise ApiError(400, "Bad Request: message with poll to stop not found")
    poll = emu.polls[message.poll_id]
    emu.poll_json(poll)  # applies an expired open_period first
    if poll.is_closed:
        raise bad_request("poll has already been closed")
    markup = check_markup(opt_dict(params, "reply_markup"))
    poll.is_closed = True
    if markup is not None:
        message.reply_markup = markup
    result = emu.poll_json(poll)
    emu.emit("poll", emu.poll_json(poll))
    return result
