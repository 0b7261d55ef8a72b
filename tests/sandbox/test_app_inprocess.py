"""A bare PTB Application driven end to end through the in-process emulator."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, Defaults

from bot.sandbox import BotApiEmulator, process_pending
from tests.sandbox.helpers import AnyApp, wait_until

MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("政策问答", callback_data="menu:guidance")],
        [InlineKeyboardButton("节日提示", callback_data="menu:tips")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [payload]: greet with the menu."""
    assert update.effective_message is not None
    payload = " ".join(context.args or [])
    text = "<b>食安助手</b>为您服务" + (f"（来源：{payload}）" if payload else "")
    await update.effective_message.reply_text(text, reply_markup=MENU)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A menu button: answer the query and replace the menu with the choice."""
    query = update.callback_query
    assert query is not None
    await query.answer("已选择")
    await query.edit_message_text(f"您选择了 <i>{query.data}</i>")


def with_handlers(app: AnyApp) -> AnyApp:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^menu:"))
    return app


def assert_journey(emu: BotApiEmulator, user_id: int) -> None:
    """The exact chat state after /start and pressing 节日提示."""
    log = emu.chat_log(user_id)
    assert [(m.message_id, m.from_bot, m.text) for m in log] == [
        (1, False, "/start qr_poster"),
        (2, True, "您选择了 menu:tips"),
    ]
    reply = log[1]
    assert reply.entities == [{"type": "italic", "offset": 5, "length": 9}]
    assert reply.buttons == []  # editMessageText without reply_markup removes the keyboard
    assert [v.text for v in reply.history] == ["食安助手为您服务（来源：qr_poster）"]
    assert reply.history[0].entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert reply.history[0].reply_markup == MENU.to_dict()
    assert reply.html == "您选择了 <i>menu:tips</i>"
    assert [(a.data, a.text, a.show_alert) for a in emu.callback_answers] == [
        ("menu:tips", "已选择", False)
    ]
    assert emu.pending_updates == 0


async def test_journey_by_processing_queued_updates(
    make_app: Callable[..., AnyApp], emu: BotApiEmulator
) -> None:
    app = with_handlers(make_app(defaults=Defaults(parse_mode=ParseMode.HTML)))
    async with app:
        user = emu.user(1001, "张三")
        user.send("/start qr_poster")
        assert await process_pending(app, emu) == 1
        menu = user.last_message()
        assert menu is not None
        assert menu.buttons == [["政策问答"], ["节日提示"]]
        press = user.press(menu, "节日提示")
        await process_pending(app, emu)
        assert user.callback_answer(press) is not None
    assert_journey(emu, user.id)


async def test_journey_through_long_polling(
    make_app: Callable[..., AnyApp], emu: BotApiEmulator
) -> None:
    app = with_handlers(make_app(defaults=Defaults(parse_mode=ParseMode.HTML)))
    user = emu.user(1001, "张三")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        user.send("/start qr_poster")
        await wait_until(lambda: user.last_message() is not None)
        menu = user.last_message()
        user.press(menu, (1, 0))  # type: ignore[arg-type]
        await wait_until(lambda: len(emu.callback_answers) == 1 and emu.pending_updates == 0)
        await wait_until(lambda: user.last_message().text == "您选择了 menu:tips")  # type: ignore[union-attr]
        await app.updater.stop()
        await app.stop()
    assert_journey(emu, user.id)
    assert emu.stats.requests["getUpdates"] >= 2


async def test_many_users_at_once(make_app: Callable[..., AnyApp], emu: BotApiEmulator) -> None:
    emu.limits.enabled = False
    app = with_handlers(make_app(defaults=Defaults(parse_mode=ParseMode.HTML)))
    async with app:
        users = [emu.user(5000 + i) for i in range(300)]
        for user in users:
            user.send("/start")
        assert await process_pending(app, emu) == 300
        for user in users:
            user.press(user.last_message(), "政策问答")  # type: ignore[arg-type]
        await process_pending(app, emu)
    assert all(u.last_message().text == "您选择了 menu:guidance" for u in users)  # type: ignore[union-attr]
    assert len(emu.callback_answers) == 300
