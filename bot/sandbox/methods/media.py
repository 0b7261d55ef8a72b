"""sendPhoto, sendDocument and getFile."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING

from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.files import StoredFile, UploadedFile, image_size
from bot.sandbox.methods.markup import check_markup
from bot.sandbox.methods.messages import caption_text, remember_keyboard
from bot.sandbox.params import Params, opt_dict, req_str
from bot.sandbox.state import JsonDict

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

_FOLDERS = {"photo": "photos", "document": "documents", "voice": "voice", "sticker": "stickers"}


def store_file(
    emu: BotApiEmulator,
    kind: str,
    data: bytes,
    *,
    filename: str | None = None,
    mime_type: str | None = None,
    url: str | None = None,
) -> StoredFile:
    """Keep a file and give it Telegram-like ids and a download path."""
    serial = emu.new_id()
    extension = ""
    if filename and "." in filename:
        extension = filename.rsplit(".", 1)[1]
    elif mime_type:
        extension = (mimetypes.guess_extension(mime_type) or "").lstrip(".")
    path = f"{_FOLDERS.get(kind, kind)}/file_{serial}" + (f".{extension}" if extension else "")
    width, height = image_size(data) if kind == "photo" else (0, 0)
    stored = StoredFile(
        file_id=f"sbx{kind[:3].upper()}{serial:08d}AgAD",
        file_unique_id=f"AQAD{serial:06d}",
        kind=kind,
        data=data,
        filename=filename,
        mime_type=mime_type,
        file_path=path,
        url=url,
        width=width,
        height=height,
    )
    emu.add_file(stored)
    return stored


def incoming_file(emu: BotApiEmulator, params: Params, name: str, kind: str) -> StoredFile:
    """The file a send method carries: an upload, a known file_id, or a URL."""
    value = params.get(name)
    if isinstance(value, UploadedFile):
        return store_file(
            emu, kind, value.data, filename=value.filename, mime_type=value.mime_type
        )
    if isinstance(value, bytes):
        return store_file(emu, kind, value)
    ref = req_str(params, name, f"Bad Request: there is no {kind} in the request")
    known = emu.files.get(ref)
    if known is not None:
        if known.kind != kind:
            raise bad_request("type of file mismatch")
        return known
    if ref.startswith(("http://", "https://")):
        # Offline: the file cannot be fetched, so it is stored empty with its URL.
        return store_file(emu, kind, b"", filename=ref.rsplit("/", 1)[-1], url=ref)
    raise bad_request("wrong file identifier/HTTP URL specified")


def photo_sizes(stored: StoredFile) -> list[JsonDict]:
    """The PhotoSize list for a stored photo."""
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
            "file_size": stored.size,
        }
    ]


def document_json(stored: StoredFile) -> JsonDict:
    """The Document object for a stored file."""
    data: JsonDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.filename:
        data["file_name"] = stored.filename
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    return data


def _send_media(emu: BotApiEmulator, params: Params, name: str) -> JsonDict:
    chat = emu.resolve_chat(params)
    emu.check_can_write(chat)
    caption, entities = caption_text(params)
    markup = check_markup(opt_dict(params, "reply_markup"))
    reply_to = emu.reply_target(chat, params)
    stored = incoming_file(emu, params, name, name)
    emu.acquire_send(chat)
    remember_keyboard(chat, markup)
    media = {"photo": photo_sizes(stored)} if name == "photo" else {name: document_json(stored)}
    message = emu.add_message(
        chat,
        emu.bot,
        caption=caption,
        entities=entities,
        html=params.get("caption"),
        media=media,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    return emu.message_json(message)


def send_photo(emu: BotApiEmulator, params: Params) -> JsonDict:
    """sendPhoto."""
    return _send_media(emu, params, "photo")


def send_document(emu: BotApiEmulator, params: Params) -> JsonDict:
    """sendDocument."""
    return _send_media(emu, params, "document")


def get_file(emu: BotApiEmulator, params: Params) -> JsonDict:
    """getFile."""
    stored = emu.files.get(req_str(params, "file_id"))
    if stored is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }
