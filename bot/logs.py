"""Logging that never shows a secret or a person's whole message.

The filter sits on every handler of the root logger (where records from every library end up):
the bot token, webhook secret and database password are masked everywhere, including the API
URL that PTB and httpx print at DEBUG and exception texts; and the payloads PTB prints at DEBUG
(the updates received, each request's parameters and result: people's names and messages) are
cut to a short preview.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["MASK", "RedactSecrets", "install_redaction", "preview"]

MASK = "[redacted]"
PREVIEW_CHARS = 20
# Loggers whose arguments are whole Telegram payloads (updates, request parameters, results).
PAYLOAD_LOGGERS = ("telegram",)


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's message and traceback text with MASK."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first: a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if getattr(record, "redacted", False):  # seen by the filter of another handler
            return True
        record.redacted = True
        if (
            record.levelno <= logging.DEBUG
            and record.name.startswith(PAYLOAD_LOGGERS)
            and isinstance(record.args, tuple)
        ):
            record.args = tuple(_shorten(arg) for arg in record.args)
        if not self.secrets:
            return True
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatter caches exc_text and reuses it: formatting here lets us clean it.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def install_redaction(secrets: Iterable[str]) -> None:
    """Put one RedactSecrets on every handler of the root logger (replacing an older one)."""
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redact)


def preview(text: str | None) -> str:
    """A user's text as logs may show it (at DEBUG only): the first few characters."""
    if not text:
        return ""
    return text if len(text) <= PREVIEW_CHARS else f"{text[:PREVIEW_CHARS]}…({len(text)})"


def _shorten(arg: object) -> object:
    if arg is None or isinstance(arg, int | float | bool):
        return arg
    return preview(str(arg))
