"""sendMessage, the edit methods, deleteMessage and sendChatAction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox import errors
from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.methods.markup import check_markup, inline_only
from bot.sandbox.methods.text import compose
from bot.sandbox.params import Params, opt_dict, opt_int, opt_list, opt_str, req_str
from bot.sandbox.state import ChatAction, ChatRecord, JsonDict, StoredMessage

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

MAX_TEXT = 4096
MAX_CAPTION = 1024
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def message_text(params: Params) -> tuple[str, list[JsonDict]]:
    """The text of sendMessage/editMessageText after parsing, with Telegram's length errors."""
    raw = req_str(params, "text", errors.MESSAGE_TEXT_EMPTY)
    text, entities = compose(raw, opt_str(params, "parse_mode"), opt_list(params, "entities"))
    if not text:
        raise ApiError(400, errors.MESSAGE_TEXT_EMPTY)
    if len(text) > MAX_TEXT:
        raise ApiError(400, errors.MESSAGE_TOO_LONG)
    return text, entities


def caption_text(params: Params) -> tuple[str | None, list[JsonDict]]:
    """An optional caption after parsing, or 400 when it is too long."""
    raw = opt_str(params, "caption")
    if raw is None:
        return None, []
    caption, entities = compose(
        raw, opt_str(params, "parse_mode"), opt_list(params, "caption_entities")
    )
    if len(caption) > MAX_CAPTION:
        raise ApiError(400, errors.CAPTION_TOO_LONG)
    return caption, entities


def send_message(emu: BotApiEmulator, params: Params) -> JsonDict:
    """sendMessage."""
    chat = emu.resolve_chat(params)
    emu.check_can_write(chat)
    text, entities = message_text(params)
    markup = check_markup(opt_dict(params, "reply_markup"))
    reply_to = emu.reply_target(chat, params)
    emu.acquire_send(chat)
    remember_keyboard(chat, markup)
    message = emu.add_message(
        chat,
        emu.bot,
        text=text,
        entities=entities,
        html=params["text"],
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    return emu.message_json(message)


def remember_keyboard(chat: ChatRecord, markup: dict[str, Any] | None) -> None:
    """Track the custom reply keyboard a chat shows (set by ReplyKeyboardMarkup/Remove)."""
    if markup is None:
        return
    if "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None


def editable(emu: BotApiEmulator, params: Params) -> tuple[ChatRecord, StoredMessage]:
    """The bot message an edit method targets, or Telegram's 400."""
    if params.get("inline_message_id") is not None:
        raise bad_request("MESSAGE_ID_INVALID")  # the sandbox has no inline mode
    chat = emu.resolve_chat(params)
    message_id = opt_int(params, "message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = emu.find_message(chat, message_id)
    if message is None:
        raise ApiError(400, errors.MESSAGE_TO_EDIT_NOT_FOUND)
    if not message.from_bot:
        raise ApiError(400, errors.MESSAGE_CANT_BE_EDITED)
    emu.check_can_write(chat)
    return chat, message


def apply_edit(
    emu: BotApiEmulator, chat: ChatRecord, message: StoredMessage, **changes: Any
) -> JsonDict:
    """Record the old version, apply changes, stamp edit_date; 400 when nothing changes."""
    markup = changes.get("reply_markup")
    old_markup = inline_only(message.reply_markup)
    # Telegram compares what the user would see: parsed text and entities, not the raw HTML.
    same = all(
        getattr(message, name) == value
        for name, value in changes.items()
        if name not in ("reply_markup", "html")
    )
    if same and inline_only(markup) == old_markup:
        raise ApiError(400, errors.MESSAGE_NOT_MODIFIED)
    emu.acquire_send(chat, edit=True)
    message.history.append(message.snapshot())
    for name, value in changes.items():
        setattr(message, name, value)
    if markup is None and old_markup is None:
        message.reply_markup = message.history[-1].reply_markup  # a reply keyboard stays
    message.edit_date = emu.now_unix()
    return emu.message_json(message)


def edit_message_text(emu: BotApiEmulator, params: Params) -> JsonDict:
    """editMessageText; leaving out reply_markup removes the inline keyboard, as Telegram does."""
    chat, message = editable(emu, params)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(params)
    markup = check_markup(opt_dict(params, "reply_markup"))
    return apply_edit(
        emu, chat, message, text=text, entities=entities, html=params["text"], reply_markup=markup
    )


def edit_message_caption(emu: BotApiEmulator, params: Params) -> JsonDict:
    """editMessageCaption."""
    chat, message = editable(emu, params)
    if not message.media:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = caption_text(params)
    markup = check_markup(opt_dict(params, "reply_markup"))
    return apply_edit(
        emu,
        chat,
        message,
        caption=caption,
        entities=entities,
        html=params.get("caption"),
        reply_markup=markup,
    )


def edit_message_reply_markup(emu: BotApiEmulator, params: Params) -> JsonDict:
    """editMessageReplyMarkup; no reply_markup removes the keyboard."""
    chat, message = editable(emu, params)
    markup = check_markup(opt_dict(params, "reply_markup"))
    return apply_edit(emu, chat, message, reply_markup=markup)


def delete_message(emu: BotApiEmulator, params: Params) -> bool:
    """deleteMessage."""
    chat = emu.resolve_chat(params)
    message = emu.find_message(chat, opt_int(params, "message_id"))
    if message is None:
        raise ApiError(400, errors.MESSAGE_TO_DELETE_NOT_FOUND)
    message.deleted = True
    return True


def send_chat_action(emu: BotApiEmulator, params: Params) -> bool:
    """sendChatAction."""
    chat = emu.resolve_chat(params)
    action = req_str(params, "action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    emu.check_can_write(chat)
    emu.chat_actions.append(ChatAction(chat.id, action, emu.clock()))
    return True
