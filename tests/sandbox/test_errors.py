"""Telegram's error answers: status, envelope and the exception PTB raises for each."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, TimedOut

from bot.kit import is_uncertain
from bot.sandbox import BotApiEmulator, ManualClock, SandboxRequest
from bot.sandbox.errors import MESSAGE_NOT_MODIFIED, QUERY_TOO_OLD
from tests.sandbox.helpers import AnyApp

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])


@pytest.fixture
def unchecked(clock: ManualClock) -> BotApiEmulator:
    """An emulator without spec validation, to see Telegram's own answer to bad content."""
    return BotApiEmulator(clock=clock, validate=False)


async def test_unknown_chat_is_400(app: AnyApp, emu: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await app.bot.send_message(424242, "你好")
    status, body = await emu.call("sendMessage", {"chat_id": 424242, "text": "你好"})
    assert (status, body) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<b>粗体", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("盐 & 糖", "Character '&' must be escaped as &amp; at byte offset 4"),
    ],
)
async def test_bad_html_is_400(emu: BotApiEmulator, text: str, detail: str) -> None:
    user = emu.user(1001, "张三")
    params = {"chat_id": user.id, "text": text, "parse_mode": "HTML"}
    status, body = await emu.call("sendMessage", params)
    assert status == 400
    assert body["description"] == f"Bad Request: can't parse entities: {detail}"
    assert emu.messages(user.id) == []


async def test_bad_html_fails_the_ptb_call(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001, "张三")
    with pytest.raises(BadRequest, match="parse entities"):
        await app.bot.send_message(user.id, "<b>x", parse_mode="HTML")


async def test_edit_with_same_content_is_not_modified(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001, "张三")
    sent = await app.bot.send_message(
        user.id, "<b>同样</b>", parse_mode="HTML", reply_markup=KEYBOARD
    )
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        # Same parsed text and entities (different raw HTML) and the same keyboard.
        await app.bot.edit_message_text(
            "<strong>同样</strong>",
            user.id,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=KEYBOARD,
        )
    params = {
        "chat_id": user.id,
        "message_id": sent.message_id,
        "reply_markup": KEYBOARD.to_dict(),
    }
    status, body = await emu.call("editMessageReplyMarkup", params)
    assert (status, body["description"]) == (400, MESSAGE_NOT_MODIFIED)
    assert emu.message(user.id, sent.message_id).history == []


async def test_edit_of_missing_or_deleted_message(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001, "张三")
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await app.bot.edit_message_text("新", user.id, 77)
    sent = await app.bot.send_message(user.id, "旧")
    assert await app.bot.delete_message(user.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await app.bot.edit_message_text("新", user.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await app.bot.delete_message(user.id, sent.message_id)


async def test_users_messages_cannot_be_edited_by_the_bot(
    app: AnyApp, emu: BotApiEmulator
) -> None:
    user = emu.user(1001, "张三")
    update = user.send("我的消息")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await app.bot.edit_message_text("改", user.id, update["message"]["message_id"])


async def test_expired_or_repeated_callback_answer(
    app: AnyApp, emu: BotApiEmulator, clock: ManualClock
) -> None:
    user = emu.user(1001, "张三")
    sent = await app.bot.send_message(user.id, "选", reply_markup=KEYBOARD)
    late = user.press(sent.to_dict(), "好")
    clock.advance(15.5)
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await app.bot.answer_callback_query(late["callback_query"]["id"])
    fresh = user.press(sent.to_dict(), (0, 0))
    clock.advance(14)
    assert await app.bot.answer_callback_query(fresh["callback_query"]["id"], "收到")
    status, body = await emu.call(
        "answerCallbackQuery", {"callback_query_id": fresh["callback_query"]["id"]}
    )
    assert (status, body["description"]) == (400, QUERY_TOO_OLD)
    assert [a.text for a in emu.callback_answers] == ["收到"]
    assert emu.callback_answer(late["callback_query"]["id"]) is None
    status, _ = await emu.call("answerCallbackQuery", {"callback_query_id": "nope"})
    assert status == 400


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>"])
async def test_empty_text_is_400(unchecked: BotApiEmulator, text: str) -> None:
    user = unchecked.user(1001)
    status, body = await unchecked.call(
        "sendMessage", {"chat_id": user.id, "text": text, "parse_mode": "HTML"}
    )
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_text_longer_than_4096_after_parsing_is_400(unchecked: BotApiEmulator) -> None:
    user = unchecked.user(1001)
    ok_html = "<b>" + "食" * 4096 + "</b>"  # 4103 raw characters, 4096 after parsing
    status, _ = await unchecked.call(
        "sendMessage", {"chat_id": user.id, "text": ok_html, "parse_mode": "HTML"}
    )
    assert status == 200
    status, body = await unchecked.call("sendMessage", {"chat_id": user.id, "text": "食" * 4097})
    assert (status, body["description"]) == (400, "Bad Request: message is too long")


async def test_empty_text_through_ptb_breaks_the_spec(app: AnyApp, emu: BotApiEmulator) -> None:
    # With the spec loaded the same mistake is a recorded violation (skipped without the file).
    if emu.spec is None:
        pytest.skip("Bot API spec file is absent")
    user = emu.user(1001)
    with pytest.raises(BadRequest, match="spec violation"):
        await app.bot.send_message(user.id, "食" * 4097)
    assert emu.take_violations() == [
        "sendMessage.text: 4097 characters after entity parsing, must be 1-4096"
    ]


async def test_blocked_user_gives_403_until_unblocked(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001, "张三")
    update = user.block()
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await app.bot.send_message(user.id, "在吗")
    with pytest.raises(Forbidden):
        await app.bot.send_chat_action(user.id, "typing")
    status, body = await emu.call("sendMessage", {"chat_id": user.id, "text": "x"})
    assert body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    assert status == 403
    assert user.unblock()["my_chat_member"]["new_chat_member"]["status"] == "member"
    await app.bot.send_message(user.id, "欢迎回来")
    assert emu.last_message(user.id).text == "欢迎回来"  # type: ignore[union-attr]


async def test_bot_cannot_write_first(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1002, "李四", started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await app.bot.send_message(user.id, "你好")
    user.send("/start")
    await app.bot.send_message(user.id, "你好")


async def test_bot_removed_from_group_gives_403(app: AnyApp, emu: BotApiEmulator) -> None:
    group = emu.create_group("食安群", [1001])
    await app.bot.send_message(group, "大家好")
    emu.remove_bot(group)
    with pytest.raises(Forbidden, match="kicked from the group"):
        await app.bot.send_message(group, "还在吗")


async def test_bad_token_is_401(emu: BotApiEmulator) -> None:
    from telegram.ext import ApplicationBuilder

    app = (
        ApplicationBuilder()
        .token("654321:WRONG")
        .request(SandboxRequest(emu))
        .get_updates_request(SandboxRequest(emu))
        .build()
    )
    with pytest.raises(InvalidToken):
        await app.initialize()
    status, body = await emu.call("getMe", {}, token="654321:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert (await emu.call("getMe", {}, token=emu.token))[0] == 200


async def test_any_well_formed_token_when_none_is_set() -> None:
    emu = BotApiEmulator(None)
    assert (await emu.call("getMe", {}, token="42:abc"))[0] == 200
    assert (await emu.call("getMe", {}, token="not-a-token"))[0] == 401


async def test_unknown_method_is_404(app: AnyApp, emu: BotApiEmulator) -> None:
    status, body = await emu.call("frobnicate", {})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    with pytest.raises(EndPointNotFound):
        await app.bot.do_api_request("frobnicate")
    # An unknown method is still a bot bug: recorded when the spec is loaded.
    expected = ["frobnicate: unknown method"] * 2 if emu.spec is not None else []
    assert emu.take_violations() == expected


async def test_method_names_are_case_insensitive(emu: BotApiEmulator) -> None:
    status, body = await emu.call("GETME", {})
    assert status == 200
    assert body["result"]["username"] == "shian_test_bot"


async def test_unsupported_parse_mode_is_400(unchecked: BotApiEmulator) -> None:
    user = unchecked.user(1001)
    status, body = await unchecked.call(
        "sendMessage", {"chat_id": user.id, "text": "*x*", "parse_mode": "MarkdownV2"}
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: unsupported parse_mode")


async def test_callback_data_over_64_bytes_is_400_without_spec(unchecked: BotApiEmulator) -> None:
    user = unchecked.user(1001)
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "数" * 22}]]}  # 66 bytes
    status, body = await unchecked.call(
        "sendMessage", {"chat_id": user.id, "text": "x", "reply_markup": markup}
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_an_injected_timeout_delivers_then_raises_timed_out(
    app: AnyApp, emu: BotApiEmulator
) -> None:
    emu.user(5001)
    emu.inject_timeout("sendMessage", chat_id=5001)
    with pytest.raises(TimedOut) as caught:
        await app.bot.send_message(5001, "到了吗")
    assert is_uncertain(caught.value)
    assert [m.text for m in emu.messages(5001)] == ["到了吗"]  # carried out all the same
    await app.bot.send_message(5001, "第二条")  # the rule was used up
    assert len(emu.messages(5001)) == 2
