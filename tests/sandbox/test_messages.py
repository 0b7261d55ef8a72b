"""Chat state as the bot changes it: messages, edits, keyboards, files, actions, commands."""

from __future__ import annotations

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.sandbox import BotApiEmulator, ManualClock
from tests.sandbox.helpers import AnyApp

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("健康证", callback_data="g:faq:12")],
        [InlineKeyboardButton("官网", url="https://amr.shandong.gov.cn")],
    ]
)


async def test_sent_message_is_stored_with_html_and_entities(
    app: AnyApp, emu: BotApiEmulator
) -> None:
    user = emu.user(1001, "张三")
    sent = await app.bot.send_message(
        user.id, "  <b>注意</b>：&lt;留样&gt; 48 小时\n", parse_mode="HTML", reply_markup=KEYBOARD
    )
    stored = emu.last_message(user.id)
    assert stored is not None
    assert stored.message_id == sent.message_id
    assert stored.text == "注意：<留样> 48 小时"
    assert stored.html == "  <b>注意</b>：&lt;留样&gt; 48 小时\n"
    assert stored.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert stored.buttons == [["健康证"], ["官网"]]
    assert stored.callback_data == ["g:faq:12"]
    assert sent.text == stored.text
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == KEYBOARD


async def test_edit_text_keeps_history_and_drops_keyboard(
    app: AnyApp, emu: BotApiEmulator
) -> None:
    user = emu.user(1001)
    sent = await app.bot.send_message(user.id, "第一版", reply_markup=KEYBOARD)
    edited = await app.bot.edit_message_text("第二版", user.id, sent.message_id)
    stored = emu.message(user.id, sent.message_id)
    assert (stored.text, stored.buttons, len(stored.history)) == ("第二版", [], 1)
    assert stored.history[0].text == "第一版"
    assert stored.history[0].reply_markup == KEYBOARD.to_dict()
    assert edited.edit_date is not None
    await app.bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=KEYBOARD)
    assert emu.message(user.id, sent.message_id).buttons == [["健康证"], ["官网"]]
    await app.bot.edit_message_reply_markup(user.id, sent.message_id)
    assert emu.message(user.id, sent.message_id).reply_markup is None


async def test_deleted_messages_leave_the_chat_view(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    first = await app.bot.send_message(user.id, "一")
    await app.bot.send_message(user.id, "二")
    await app.bot.delete_message(user.id, first.message_id)
    assert [m.text for m in emu.messages(user.id)] == ["二"]
    assert emu.message(user.id, first.message_id).deleted
    assert [m.text for m in emu.chat_log(user.id, include_deleted=True)] == ["一", "二"]


async def test_replies_and_chat_log(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    question = user.send("健康证多久换一次？")
    reply = await app.bot.send_message(
        user.id, "每年一次", reply_to_message_id=question["message"]["message_id"]
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "健康证多久换一次？"
    assert [(m.from_bot, m.text) for m in emu.chat_log(user.id)] == [
        (False, "健康证多久换一次？"),
        (True, "每年一次"),
    ]


async def test_reply_keyboard_is_tracked_per_chat(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("政策问答"), KeyboardButton("节日提示")]])
    await app.bot.send_message(user.id, "菜单", reply_markup=keyboard)
    shown = emu.chat(user.id).reply_keyboard
    assert shown is not None
    assert shown["keyboard"][0][1]["text"] == "节日提示"
    assert emu.last_message(user.id).buttons == []  # type: ignore[union-attr]
    await app.bot.send_message(user.id, "收起", reply_markup=ReplyKeyboardRemove())
    assert emu.chat(user.id).reply_keyboard is None


async def test_photos_and_documents_round_trip(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000400000002008060000"
    )  # a PNG header: 64 x 32
    photo = await app.bot.send_photo(user.id, png, caption="<b>柱状图</b>", parse_mode="HTML")
    assert photo.caption == "柱状图"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (64, 32)
    report = await app.bot.send_document(user.id, b"PK\x03\x04xlsx", filename="结果.xlsx")
    assert report.document is not None
    assert report.document.file_name == "结果.xlsx"
    stored = emu.files[report.document.file_id]
    assert (stored.data, stored.filename, stored.kind) == (
        b"PK\x03\x04xlsx",
        "结果.xlsx",
        "document",
    )
    file = await app.bot.get_file(report.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04xlsx"
    again = await app.bot.send_photo(user.id, photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    await app.bot.edit_message_caption(user.id, photo.message_id, caption="新说明")
    assert emu.message(user.id, photo.message_id).caption == "新说明"


async def test_users_files_are_downloadable(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    update = user.send_document("许可证.pdf", b"%PDF-1.7", mime_type="application/pdf")
    file_id = update["message"]["document"]["file_id"]
    file = await app.bot.get_file(file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.7"


async def test_chat_actions_are_recorded(
    app: AnyApp, emu: BotApiEmulator, clock: ManualClock
) -> None:
    user = emu.user(1001)
    await app.bot.send_chat_action(user.id, "typing")
    clock.advance(2)
    await app.bot.send_chat_action(user.id, "upload_document")
    assert [(a.chat_id, a.action) for a in emu.chat_actions] == [
        (user.id, "typing"),
        (user.id, "upload_document"),
    ]
    assert emu.chat_actions[1].at - emu.chat_actions[0].at == 2


async def test_command_menus_by_scope(app: AnyApp, emu: BotApiEmulator) -> None:
    admin = emu.user(900001)
    await app.bot.set_my_commands([BotCommand("menu", "主菜单"), BotCommand("help", "帮助")])
    await app.bot.set_my_commands(
        [BotCommand("broadcast", "群发")], scope=BotCommandScopeChat(admin.id)
    )
    assert emu.command_list() == [("menu", "主菜单"), ("help", "帮助")]
    assert emu.command_list({"type": "chat", "chat_id": admin.id}) == [("broadcast", "群发")]
    got = await app.bot.get_my_commands(scope=BotCommandScopeChat(admin.id))
    assert [c.command for c in got] == ["broadcast"]
    await app.bot.delete_my_commands(scope=BotCommandScopeChat(admin.id))
    assert await app.bot.get_my_commands(scope=BotCommandScopeChat(admin.id)) == ()
    assert await app.bot.set_chat_menu_button(admin.id, MenuButtonCommands())
    assert await app.bot.get_chat_menu_button(admin.id) == MenuButtonCommands()


async def test_commands_for_unknown_chat_fail(app: AnyApp) -> None:
    import pytest
    from telegram.error import BadRequest

    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.set_my_commands([BotCommand("a", "b")], scope=BotCommandScopeChat(55))


async def test_get_me_and_get_chat(app: AnyApp, emu: BotApiEmulator) -> None:
    me = await app.bot.get_me()
    assert (me.username, me.first_name, me.is_bot) == ("shian_test_bot", "食安助手", True)
    user = emu.user(1001, "张三", last_name="丰", username="zs")
    chat = await app.bot.get_chat(user.id)
    assert (chat.type, chat.first_name, chat.last_name, chat.username) == (
        "private",
        "张三",
        "丰",
        "zs",
    )
    group = emu.create_group("监管群", [user.id])
    info = await app.bot.get_chat(group)
    assert (info.type, info.title, info.id < 0) == ("group", "监管群", True)
    assert await app.bot.log_out()
    assert emu.logged_out


async def test_group_messages_need_membership(emu: BotApiEmulator) -> None:
    import pytest

    group = emu.create_group("群", [1001])
    member, outsider = emu.user(1001), emu.user(1002)
    update = member.send("/menu@shian_test_bot", chat_id=group)
    assert update["message"]["chat"]["type"] == "group"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]
    with pytest.raises(PermissionError):
        outsider.send("我不在群里", chat_id=group)
    outsider.join(group)
    outsider.send("现在在了", chat_id=group)
    assert [m.text for m in emu.chat_log(group)][-1] == "现在在了"
