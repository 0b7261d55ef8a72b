"""Files: uploads as they arrive, and files the emulator stores and serves back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a request (multipart upload or PTB InputFile)."""

    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass(slots=True)
class StoredFile:
    """A file known to the emulator, sent by the bot or by a user."""

    file_id: str
    file_unique_id: str
    kind: str  # photo, document, voice, sticker
    data: bytes
    filename: str | None
    mime_type: str | None
    file_path: str
    url: str | None = None  # sent by URL: the sandbox cannot fetch it, so data is empty
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG, else a plausible default."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                break
            marker = data[pos + 1]
            length = int.from_bytes(data[pos + 2 : pos + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[pos + 5 : pos + 7], "big")
                width = int.from_bytes(data[pos + 7 : pos + 9], "big")
                return width, height
            pos += 2 + length
    return 800, 600
