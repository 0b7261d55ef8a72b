"""Every method's result parses with PTB's de_json for its declared return type, and every
result and user-side update matches the spec's object definitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import telegram
from telegram import Bot, Update

from bot.sandbox import BotApiEmulator
from bot.sandbox.methods import ASYNC_METHODS, SYNC_METHODS

Params = dict[str, Any]
KEYBOARD = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}


def _setup(emu: BotApiEmulator) -> dict[str, Any]:
    """A user, a group, a text message, a photo message, a poll and a callback query."""
    user = emu.user(1001, "张三", username="zhangsan")
    group = emu.create_group("食安群", [1001])
    return {"user": user.id, "group": group}


async def _message(emu: BotApiEmulator, chat: int, **extra: Any) -> int:
    _, body = await emu.call("sendMessage", {"chat_id": chat, "text": "原文", **extra})
    return int(body["result"]["message_id"])


async def _photo(emu: BotApiEmulator, chat: int) -> dict[str, Any]:
    _, body = await emu.call("sendPhoto", {"chat_id": chat, "photo": b"\x89PNG", "caption": "c"})
    return dict(body["result"])


CASES: dict[str, Callable[[BotApiEmulator, dict[str, Any]], Any]] = {}


def case(method: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(build: Callable[..., Any]) -> Callable[..., Any]:
        CASES[method] = build
        return build

    return register


@case("getMe")
async def _get_me(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {}


@case("logOut")
@case("close")
@case("getWebhookInfo")
@case("getUpdates")
@case("deleteWebhook")
async def _no_params(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    emu.user(ids["user"]).send("/start abc")
    return {}


@case("getChat")
async def _get_chat(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {"chat_id": ids["group"]}


@case("setMyCommands")
async def _set_commands(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {"commands": [{"command": "start", "description": "开始"}]}


@case("getMyCommands")
@case("deleteMyCommands")
async def _commands(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    scope = {"type": "chat", "chat_id": ids["user"]}
    await emu.call(
        "setMyCommands", {"commands": [{"command": "exam", "description": "考试"}], "scope": scope}
    )
    return {"scope": scope}


@case("setChatMenuButton")
async def _set_menu(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {"chat_id": ids["user"], "menu_button": {"type": "commands"}}


@case("getChatMenuButton")
async def _get_menu(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {"chat_id": ids["user"]}


@case("sendMessage")
async def _send(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    replied = await _message(emu, ids["group"])
    return {
        "chat_id": ids["group"],
        "text": "<b>你好</b> 😀 <a href='https://a.cn'>链接</a>",
        "parse_mode": "HTML",
        "reply_markup": KEYBOARD,
        "reply_parameters": {"message_id": replied},
    }


@case("editMessageText")
async def _edit_text(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    message_id = await _message(emu, ids["user"], reply_markup=KEYBOARD)
    return {
        "chat_id": ids["user"],
        "message_id": message_id,
        "text": "<i>改</i>",
        "parse_mode": "HTML",
    }


@case("editMessageReplyMarkup")
async def _edit_markup(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    message_id = await _message(emu, ids["user"])
    return {"chat_id": ids["user"], "message_id": message_id, "reply_markup": KEYBOARD}


@case("editMessageCaption")
async def _edit_caption(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    photo = await _photo(emu, ids["user"])
    return {"chat_id": ids["user"], "message_id": photo["message_id"], "caption": "新说明"}


@case("deleteMessage")
async def _delete(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {"chat_id": ids["user"], "message_id": await _message(emu, ids["user"])}


@case("sendChatAction")
async def _action(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {"chat_id": ids["user"], "action": "typing"}


@case("sendPhoto")
async def _send_photo(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {
        "chat_id": ids["user"],
        "photo": b"\x89PNG\r\n\x1a\n",
        "caption": "<b>图</b>",
        "parse_mode": "HTML",
    }


@case("sendDocument")
async def _send_document(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {"chat_id": ids["user"], "document": b"PK\x03\x04", "caption": "表格"}


@case("getFile")
async def _get_file(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    photo = await _photo(emu, ids["user"])
    return {"file_id": photo["photo"][-1]["file_id"]}


@case("sendPoll")
async def _send_poll(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {
        "chat_id": ids["group"],
        "question": "哪个<b>更重要</b>？",
        "question_parse_mode": "HTML",
        "options": [{"text": "留样"}, {"text": "索证索票"}],
        "type": "quiz",
        "correct_option_ids": [1],
        "is_anonymous": False,
        "explanation": "见第二十条",
        "open_period": 60,
    }


@case("stopPoll")
async def _stop_poll(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    _, body = await emu.call(
        "sendPoll",
        {"chat_id": ids["user"], "question": "Q", "options": [{"text": "a"}, {"text": "b"}]},
    )
    poll = body["result"]["poll"]
    emu.user(ids["user"]).vote(poll["id"], [0])
    return {"chat_id": ids["user"], "message_id": body["result"]["message_id"]}


@case("answerCallbackQuery")
async def _answer(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    message_id = await _message(emu, ids["user"], reply_markup=KEYBOARD)
    update = emu.user(ids["user"]).press(message_id, "好")
    return {
        "callback_query_id": update["callback_query"]["id"],
        "text": "收到",
        "show_alert": True,
    }


@case("setWebhook")
async def _set_webhook(emu: BotApiEmulator, ids: dict[str, Any]) -> Params:
    return {
        "url": "https://bot.example.cn/hook",
        "secret_token": "abc_DEF-123",
        "max_connections": 5,
    }


def test_every_implemented_method_has_a_case() -> None:
    assert set(CASES) == set(SYNC_METHODS) | set(ASYNC_METHODS)


def _ptb_value(type_name: str, value: Any, bot: Bot) -> Any:
    """de_json a result by the spec's return type name (e.g. "Array of Update")."""
    if type_name.startswith("Array of "):
        inner = type_name.removeprefix("Array of ")
        assert isinstance(value, list)
        return [_ptb_value(inner, item, bot) for item in value]
    if type_name == "Boolean":
        assert value is True
        return value
    cls = getattr(telegram, type_name)
    parsed = cls.de_json(value, bot)
    assert isinstance(parsed, cls)
    return parsed


RETURNS = {  # the spec's return types, so this test runs without the spec file too
    "getMe": "User",
    "getChat": "ChatFullInfo",
    "getMyCommands": "Array of BotCommand",
    "getChatMenuButton": "MenuButton",
    "getUpdates": "Array of Update",
    "getWebhookInfo": "WebhookInfo",
    "getFile": "File",
    "sendMessage": "Message",
    "editMessageText": "Message",
    "editMessageReplyMarkup": "Message",
    "editMessageCaption": "Message",
    "sendPhoto": "Message",
    "sendDocument": "Message",
    "sendPoll": "Message",
    "stopPoll": "Poll",
}


@pytest.mark.parametrize("method", sorted(CASES))
async def test_result_parses_with_ptb_and_matches_spec(emu: BotApiEmulator, method: str) -> None:
    ids = _setup(emu)
    params = await CASES[method](emu, ids)
    status, body = await emu.call(method, params)
    assert status == 200, body
    assert body["ok"] is True
    bot = Bot(emu.token or "1:x")
    type_name = RETURNS.get(method, "Boolean")
    _ptb_value(type_name, body["result"], bot)
    if emu.spec is not None:
        declared = [str(t) for t in emu.spec.returns[method]]
        assert type_name in declared
        if type_name != "Boolean":
            assert emu.spec.validate_object(type_name, body["result"]) == []
    await emu.aclose()


def _actions(emu: BotApiEmulator) -> list[dict[str, Any]]:
    user = emu.user(1001, "张三", last_name="三", username="zs")
    group = emu.create_group("群", [])
    sent = []
    sent.append(user.send("/start vote_12"))
    sent.append(user.send("问个问题", reply_to=sent[0]["message"]["message_id"]))
    sent.append(user.edit(sent[1]["message"]["message_id"], "改过的问题"))
    sent.append(user.send_photo(caption="现场照片"))
    sent.append(user.send_document("报告.pdf", b"%PDF-1.4", mime_type="application/pdf"))
    sent.append(user.send_sticker())
    sent.append(user.send_voice())
    sent.append(user.send_location())
    sent.append(user.join(group))
    sent.append(user.send("/help@shian_test_bot", chat_id=group))
    sent.append(user.leave(group))
    sent.append(user.block())
    sent.append(user.unblock())
    return sent


async def test_user_updates_parse_and_match_spec(emu: BotApiEmulator) -> None:
    updates = _actions(emu)
    user = emu.user(1001)
    _, body = await emu.call(
        "sendMessage", {"chat_id": user.id, "text": "选", "reply_markup": KEYBOARD}
    )
    updates.append(user.press(body["result"], "好"))
    _, body = await emu.call(
        "sendPoll",
        {
            "chat_id": user.id,
            "question": "Q",
            "options": [{"text": "a"}, {"text": "b"}],
            "is_anonymous": False,
            "allows_multiple_answers": True,
        },
    )
    updates.append(user.vote(body["result"]["poll"]["id"], [0, 1]))
    updates.append(user.vote(body["result"]["poll"]["id"], []))
    bot = Bot(emu.token or "1:x")
    for update in updates:
        parsed = Update.de_json(update, bot)
        assert parsed.update_id == update["update_id"]
        if emu.spec is not None:
            assert emu.spec.validate_object("Update", update) == [], update
    await emu.aclose()
