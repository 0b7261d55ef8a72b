"""Spec validation: malformed requests fail the bot call and are recorded for the fixture."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.ext import Defaults

from bot.sandbox import ApiSpec, BotApiEmulator, SpecMissing, SpecViolation, load_spec
from bot.sandbox.spec import SPEC_ENV, default_spec_path
from tests.sandbox.helpers import AnyApp


@pytest.fixture(autouse=True)
def _needs_spec(spec: ApiSpec) -> None:
    """Every test here skips when the spec file is absent."""


async def test_unknown_parameter(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    with pytest.raises(SpecViolation) as caught:
        await app.bot.send_message(user.id, "x", api_kwargs={"colour": "red"})
    assert caught.value.violations == ["sendMessage: unknown parameter 'colour'"]
    assert emu.take_violations() == ["sendMessage: unknown parameter 'colour'"]
    assert emu.messages(user.id) == []


DO_API_REQUEST = pytest.mark.filterwarnings("ignore:Please use 'Bot")


@DO_API_REQUEST
async def test_missing_chat_id(app: AnyApp, emu: BotApiEmulator) -> None:
    with pytest.raises(SpecViolation, match="missing required parameter 'chat_id'"):
        await app.bot.do_api_request("sendMessage", api_kwargs={"text": "x"})
    assert emu.take_violations() == ["sendMessage: missing required parameter 'chat_id'"]


async def test_65_byte_callback_data(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("ok", callback_data="a" * 64)]],
    )
    await app.bot.send_message(user.id, "64 bytes is fine", reply_markup=markup)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="考" * 21 + "ab")]])
    with pytest.raises(SpecViolation):
        await app.bot.send_message(user.id, "65 bytes", reply_markup=too_long)
    assert emu.take_violations() == [
        "sendMessage.reply_markup.inline_keyboard[0][0].callback_data: 65 bytes, must be 1-64"
    ]


async def test_301_character_poll_question(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    await app.bot.send_poll(user.id, "问" * 300, ["是", "否"])
    with pytest.raises(SpecViolation):
        await app.bot.send_poll(user.id, "问" * 301, ["是", "否"])
    assert emu.take_violations() == ["sendPoll.question: 301 characters, must be 1-300"]


@pytest.mark.parametrize(
    ("options", "violation"),
    [
        (["只有一个"], "sendPoll.options: 1 items, must be 2-12"),
        ([str(i) for i in range(13)], "sendPoll.options: 13 items, must be 2-12"),
        (["好", "长" * 101], "sendPoll.options[1].text: 101 characters, must be 1-100"),
    ],
)
async def test_poll_options(
    app: AnyApp, emu: BotApiEmulator, options: list[str], violation: str
) -> None:
    with pytest.raises(SpecViolation):
        await app.bot.send_poll(emu.user(1001).id, "Q", options)
    assert emu.take_violations() == [violation]


async def test_text_and_caption_and_answer_limits(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    with pytest.raises(SpecViolation):
        await app.bot.send_photo(user.id, b"\x89PNG", caption="字" * 1025)
    update = user.press_data(await app.bot.send_message(user.id, "m"), "x")
    with pytest.raises(SpecViolation):
        await app.bot.answer_callback_query(update["callback_query"]["id"], "长" * 201)
    with pytest.raises(SpecViolation):
        await app.bot.send_poll(
            user.id, "Q", ["a", "b"], type="quiz", correct_option_ids=[0], explanation="解" * 201
        )
    assert emu.take_violations() == [
        "sendPhoto.caption: 1025 characters after entity parsing, must be 0-1024",
        "answerCallbackQuery.text: 201 characters, must be 0-200",
        "sendPoll.explanation: 201 characters after entity parsing, must be 0-200",
    ]


async def test_length_is_measured_after_html_parsing(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    await app.bot.send_message(user.id, "<b>" + "字" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    stored = emu.last_message(user.id)
    assert stored is not None
    assert stored.text == "字" * 4096


@DO_API_REQUEST
async def test_type_mismatches(app: AnyApp, emu: BotApiEmulator) -> None:
    with pytest.raises(SpecViolation):
        await app.bot.do_api_request("sendMessage", api_kwargs={"chat_id": [1], "text": 5})
    assert emu.take_violations() == [
        "sendMessage.chat_id: expected Integer or String, got Array",
        "sendMessage.text: expected String, got Integer",
    ]
    with pytest.raises(SpecViolation):
        await app.bot.do_api_request(
            "sendMessage",
            api_kwargs={
                "chat_id": 1,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "b", "colour": 1}]]},
            },
        )
    assert emu.take_violations() == [
        "sendMessage.reply_markup.inline_keyboard[0][0]: unknown field 'colour'"
    ]


async def test_ptb_defaults_extras_are_tolerated(make_app, emu: BotApiEmulator) -> None:
    # Defaults(parse_mode=...) makes PTB send parse_mode to sendPoll too; Telegram ignores it.
    app = make_app(defaults=Defaults(parse_mode=ParseMode.HTML, disable_notification=True))
    async with app:
        await app.bot.send_poll(emu.user(1001).id, "<b>问</b>", ["<i>甲</i>", "乙"])
    poll = next(iter(emu.polls.values()))
    assert poll.question == "问"
    assert poll.question_entities == [{"type": "bold", "offset": 0, "length": 1}]
    assert poll.options[0].entities == [{"type": "italic", "offset": 0, "length": 1}]


def test_validate_directly(spec: ApiSpec) -> None:
    assert spec.validate("sendMessage", {"chat_id": 1, "text": "x"}) == []
    assert spec.validate("noSuchMethod", {}) == ["noSuchMethod: unknown method"]
    scope = {"type": "chat"}
    assert spec.validate("setMyCommands", {"commands": [], "scope": scope}) == [
        "setMyCommands.scope: missing required field 'chat_id'"
    ]
    assert spec.validate("setMyCommands", {"commands": [], "scope": {"type": "galaxy"}})[
        0
    ].startswith("setMyCommands.scope.type: must be one of")
    assert spec.validate("getUpdates", {"limit": 0}) == ["getUpdates.limit: 0 is outside 1-100"]
    assert spec.validate("sendPhoto", {"chat_id": 1, "photo": 3.5}) == [
        "sendPhoto.photo: expected InputFile or String, got Float"
    ]
    assert spec.validate_object("Message", {"message_id": 1}) == [
        "Message: missing required field 'date'",
        "Message: missing required field 'chat'",
    ]


def test_load_spec_is_none_when_the_file_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    missing = tmp_path / "nope.json"
    assert load_spec(missing) is None
    monkeypatch.setenv(SPEC_ENV, str(missing))
    assert default_spec_path() == missing
    assert load_spec() is None
    assert BotApiEmulator().spec is None


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_spec_fails_loudly_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    missing = tmp_path / "nope.json"
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv(SPEC_ENV, str(missing))
    with pytest.raises(SpecMissing, match=r"nope\.json"):
        load_spec()
    with pytest.raises(SpecMissing):
        BotApiEmulator()  # validation cannot silently switch itself off
    assert load_spec(required=False) is None


def test_spec_violation_pickles() -> None:
    error = SpecViolation("sendMessage", ["sendMessage: unknown parameter 'x'"])
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.method, copy.violations, copy.message) == (
        error.method,
        error.violations,
        error.message,
    )
    assert "sendMessage: unknown parameter 'x'" in str(copy)
