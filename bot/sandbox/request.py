"""SandboxRequest: PTB's transport, answered in-process by a BotApiEmulator."""

from __future__ import annotations

import json
import re
from typing import IO, TYPE_CHECKING
from urllib.parse import unquote

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.sandbox.errors import ResponseLost, error_envelope
from bot.sandbox.files import UploadedFile

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

_API_URL = re.compile(r"/bot([^/]*)/([A-Za-z0-9_]+)/?$")
_FILE_URL = re.compile(r"/file/bot([^/]*)/(.+)$")


def _content(value: bytes | IO[bytes]) -> bytes:
    return value if isinstance(value, bytes) else value.read()


def decode_request_data(
    request_data: RequestData | None,
) -> tuple[dict[str, object], dict[str, UploadedFile]]:
    """PTB's RequestData as Python values (ints stay ints, objects are dicts) plus uploads."""
    if request_data is None:
        return {}, {}
    params: dict[str, object] = dict(request_data.parameters)
    files: dict[str, UploadedFile] = {}
    if request_data.contains_files:
        for name, (filename, content, mime_type) in request_data.multipart_data.items():
            files[name] = UploadedFile(filename, _content(content), mime_type)
    return params, files


class SandboxRequest(BaseRequest):
    """A BaseRequest that calls the emulator directly: no sockets, no JSON form encoding.

    SpecViolation propagates into the bot call (PTB re-raises TelegramError subclasses as is).
    """

    __slots__ = ("_emulator", "_read_timeout")

    def __init__(self, emulator: BotApiEmulator, *, read_timeout: float | None = 5.0) -> None:
        self._emulator = emulator
        self._read_timeout = read_timeout

    @property
    def emulator(self) -> BotApiEmulator:
        """The emulator this request talks to."""
        return self._emulator

    @property
    def read_timeout(self) -> float | None:
        """Reported to PTB (which adds it to getUpdates' timeout); nothing here times out."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,  # noqa: ARG002  (PTB passes these by keyword; nothing here times out)
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,  # noqa: ARG002
        write_timeout: ODVInput[float] = DEFAULT_NONE,  # noqa: ARG002
        connect_timeout: ODVInput[float] = DEFAULT_NONE,  # noqa: ARG002
        pool_timeout: ODVInput[float] = DEFAULT_NONE,  # noqa: ARG002
    ) -> tuple[int, bytes]:
        """Route `.../bot<token>/<method>` to the emulator; `.../file/bot<token>/<path>` too."""
        emu = self._emulator
        file_match = _FILE_URL.search(url)
        if file_match is not None:
            # PTB percent-encodes the file URL (the token's ":" arrives as %3A).
            token, path = (unquote(part) for part in file_match.groups())
            stored = emu.file_by_path(path)
            if not emu.accepts_token(token):
                return 401, json.dumps(error_envelope(401, "Unauthorized")).encode()
            if stored is None:
                return 404, json.dumps(error_envelope(404, "Not Found")).encode()
            return 200, stored.data
        match = _API_URL.search(url)
        if match is None:
            return 404, json.dumps(error_envelope(404, "Not Found")).encode()
        token, api_method = match.groups()
        params, files = decode_request_data(request_data)
        try:
            status, body = await emu.call(api_method, params, files=files, token=token)
        except ResponseLost as lost:
            raise TimedOut from lost
        return status, json.dumps(body, ensure_ascii=False).encode()
