"""The Bot API methods the sandbox implements, by Telegram's method name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox.methods import bot_info, callbacks, media, messages, polls, updates
from bot.sandbox.params import Params

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

SyncMethod = Callable[["BotApiEmulator", Params], Any]
AsyncMethod = Callable[["BotApiEmulator", Params], Awaitable[Any]]

# Every method except getUpdates runs without awaiting, so each call is atomic on the event loop.
SYNC_METHODS: dict[str, SyncMethod] = {
    "getMe": bot_info.get_me,
    "logOut": bot_info.log_out,
    "close": bot_info.close,
    "getChat": bot_info.get_chat,
    "setMyCommands": bot_info.set_my_commands,
    "getMyCommands": bot_info.get_my_commands,
    "deleteMyCommands": bot_info.delete_my_commands,
    "setChatMenuButton": bot_info.set_chat_menu_button,
    "getChatMenuButton": bot_info.get_chat_menu_button,
    "sendMessage": messages.send_message,
    "editMessageText": messages.edit_message_text,
    "editMessageCaption": messages.edit_message_caption,
    "editMessageReplyMarkup": messages.edit_message_reply_markup,
    "deleteMessage": messages.delete_message,
    "sendChatAction": messages.send_chat_action,
    "sendPhoto": media.send_photo,
    "sendDocument": media.send_document,
    "getFile": media.get_file,
    "sendPoll": polls.send_poll,
    "stopPoll": polls.stop_poll,
    "answerCallbackQuery": callbacks.answer_callback_query,
    "setWebhook": updates.set_webhook,
    "deleteWebhook": updates.delete_webhook,
    "getWebhookInfo": updates.get_webhook_info,
}
ASYNC_METHODS: dict[str, AsyncMethod] = {
    "getUpdates": updates.get_updates,
}
