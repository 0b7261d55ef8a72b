"""Telegram's HTML parse mode: text + entities (UTF-16 offsets), and the errors it raises."""

from __future__ import annotations

import functools
import re
from typing import Any

# Tag -> entity type; span, pre/code, a, tg-emoji and tg-time get special handling below.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SPECIAL_TAGS = {"span", "a", "blockquote", "tg-emoji", "tg-time"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_SPECIAL_CHAR = re.compile(r"[<&]")
_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+));")
_END_TAG = re.compile(r"</\s*([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_START_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z_:][a-zA-Z0-9_:.-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)"
    r"\s*/?>"
)
_ATTR = re.compile(
    r"([a-zA-Z_:][a-zA-Z0-9_:.-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?"
)
# Telegram trims these from both ends of a message.
_TRIM = " \t\r\n"

Entity = dict[str, Any]


class HtmlError(ValueError):
    """Bad HTML; str(error) is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(source: str, pos: int) -> int:
    return len(source[:pos].encode("utf-8"))


def _decode_entity(match: re.Match[str], source: str) -> str:
    dec, hexa, name = match.groups()
    if name is not None:
        if name in _NAMED:
            return _NAMED[name]
        offset = _byte_offset(source, match.start())
        raise HtmlError(f'Unsupported HTML entity "&{name};" at byte offset {offset}')
    code = int(dec) if dec is not None else int(hexa, 16)
    if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlError(
            f"Invalid HTML entity at byte offset {_byte_offset(source, match.start())}"
        )
    return chr(code)


def unescape(value: str, source: str = "") -> str:
    """Decode the entities allowed in text and attribute values."""
    if "&" not in value:
        return value
    out: list[str] = []
    pos = 0
    while (amp := value.find("&", pos)) != -1:
        out.append(value[pos:amp])
        match = _ENTITY.match(value, amp)
        if match is None:
            raise HtmlError(
                f"Character '&' must be escaped as &amp; at byte offset {_byte_offset(value, amp)}"
            )
        out.append(_decode_entity(match, source or value))
        pos = match.end()
    out.append(value[pos:])
    return "".join(out)


def _attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR.finditer(raw):
        name, dq, sq, bare = match.groups()
        value = dq if dq is not None else sq if sq is not None else bare
        attrs[name.lower()] = unescape(value or "")
    return attrs


class _Open:
    __slots__ = ("entity", "inner_code", "name", "parent_pre")

    def __init__(self, name: str, entity: Entity | None) -> None:
        self.name = name
        self.entity = entity
        self.inner_code = False
        self.parent_pre: Entity | None = None


def _entity_for(name: str, attrs: dict[str, str], offset: int, stack: list[_Open]) -> _Open:
    """The entity a start tag opens (None for tags that open none, like <a> without href)."""
    if name in _SIMPLE_TAGS:
        if name == "code" and stack and stack[-1].name == "pre":
            # <pre><code class="language-x"> sets the pre's language instead of nesting code.
            opened = _Open(name, None)
            opened.inner_code = True
            pre = stack[-1].entity
            lang = attrs.get("class", "")
            if pre is not None and lang.startswith("language-"):
                pre["language"] = lang.removeprefix("language-")
            return opened
        return _Open(name, {"type": _SIMPLE_TAGS[name], "offset": offset})
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlError('Tag "span" must have class "tg-spoiler"')
        return _Open(name, {"type": "spoiler", "offset": offset})
    if name == "a":
        href = attrs.get("href")
        if not href:
            return _Open(name, None)
        return _Open(name, {"type": "text_link", "offset": offset, "url": href})
    if name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        return _Open(name, {"type": kind, "offset": offset})
    if name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise HtmlError('Tag "tg-emoji" must have attribute "emoji-id"')
        return _Open(name, {"type": "custom_emoji", "offset": offset, "custom_emoji_id": emoji_id})
    # tg-time
    unix = attrs.get("unix", "")
    if not unix.isdigit():
        raise HtmlError('Tag "tg-time" must have attribute "unix"')
    entity: Entity = {"type": "date_time", "offset": offset, "unix_time": int(unix)}
    if "format" in attrs:
        entity["date_time_format"] = attrs["format"]
    return _Open(name, entity)


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into plain text and entities, or raise HtmlError."""
    if "<" not in source and "&" not in source:
        return source, []
    text, entities = _parse_cached(source)
    # Callers own their entity dicts; the cached ones stay pristine.
    return text, [dict(entity) for entity in entities]


@functools.lru_cache(maxsize=4096)
def _parse_cached(source: str) -> tuple[str, tuple[Entity, ...]]:
    # The spec check and the emulator both parse each text; broadcasts repeat one text often.
    out: list[str] = []
    offset = 0
    ordered: list[Entity] = []  # in start-tag order, like Telegram
    stack: list[_Open] = []
    pos = 0
    for special in _SPECIAL_CHAR.finditer(source):
        start = special.start()
        if start < pos:
            continue
        if start > pos:
            chunk = source[pos:start]
            out.append(chunk)
            offset += utf16_len(chunk)
        if source[start] == "&":
            match = _ENTITY.match(source, start)
            if match is None:
                raise HtmlError(
                    "Character '&' must be escaped as &amp; at byte offset "
                    f"{_byte_offset(source, start)}"
                )
            char = _decode_entity(match, source)
            out.append(char)
            offset += utf16_len(char)
            pos = match.end()
            continue
        end = _END_TAG.match(source, start)
        if end is not None:
            name = end.group(1).lower()
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(source, start)}")
            top = stack.pop()
            if top.name != name:
                raise HtmlError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, start)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            if top.entity is not None:
                top.entity["length"] = offset - top.entity["offset"]
            pos = end.end()
            continue
        tag = _START_TAG.match(source, start)
        if tag is None:
            name_match = re.match(r"</?([a-zA-Z0-9-]*)", source[start:])
            name = name_match.group(1) if name_match else ""
            raise HtmlError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, start)}'
            )
        name = tag.group(1).lower()
        if name not in _SIMPLE_TAGS and name not in _SPECIAL_TAGS:
            raise HtmlError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, start)}'
            )
        opened = _entity_for(name, _attributes(tag.group(2)), offset, stack)
        if opened.entity is not None:
            ordered.append(opened.entity)
        stack.append(opened)
        pos = tag.end()
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    out.append(source[pos:])
    return "".join(out), tuple(e for e in ordered if e["length"] > 0)


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing whitespace as Telegram does, clipping entities to what is left."""
    stripped = text.strip(_TRIM)
    if len(stripped) == len(text):
        return text, entities
    lead = len(text) - len(text.lstrip(_TRIM))  # whitespace is BMP: chars == UTF-16 units
    total = utf16_len(stripped)
    clipped: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_URL = re.compile(r"https?://[^\s<>\"]+")
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z][A-Za-z0-9_]{4,31}")


def user_entities(text: str) -> list[Entity]:
    """Entities Telegram's client attaches to a typed message: commands, mentions, URLs."""
    entities: list[Entity] = []
    command = _COMMAND.match(text)
    if command is not None:
        entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
    for mention in _MENTION.finditer(text):
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: mention.start()]),
                "length": utf16_len(mention.group(0)),
            }
        )
    for url in _URL.finditer(text):
        entities.append(
            {
                "type": "url",
                "offset": utf16_len(text[: url.start()]),
                "length": utf16_len(url.group(0)),
            }
        )
    return entities
