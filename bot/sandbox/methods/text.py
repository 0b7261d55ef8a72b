"""Formatted text as Telegram stores it: parse_mode or entities applied, then trimmed."""

from __future__ import annotations

from typing import Any

from bot.sandbox.entities import Entity, HtmlError, parse_html, trim
from bot.sandbox.errors import bad_request


def compose(
    raw: str, parse_mode: str | None, entities: list[Any] | None
) -> tuple[str, list[Entity]]:
    """Plain text and entities for raw text sent with parse_mode or explicit entities."""
    if parse_mode:
        mode = parse_mode.lower()
        if mode != "html":
            # The project formats everything as HTML; other modes are not emulated.
            raise bad_request(f"unsupported parse_mode {parse_mode!r} (the sandbox emulates HTML)")
        try:
            text, parsed = parse_html(raw)
        except HtmlError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        return trim(text, parsed)
    given = [e for e in entities or [] if isinstance(e, dict)]
    return trim(raw, given)
