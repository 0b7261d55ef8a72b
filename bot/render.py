"""One jinja2 environment for every user-facing sentence; Telegram HTML, autoescaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from knowledge.loader import Citation
from knowledge.vocab import Source, sources
from knowledge.wording import chinese_number

__all__ = [
    "MAX_TEXT",
    "chinese_number",
    "cite_groups",
    "configure_timezone",
    "environment",
    "is_blank",
    "label",
    "local_minute",
    "pack_items",
    "render",
    "split_message",
    "visible_length",
]

TEMPLATES = Path(__file__).parent / "templates"
# Shared sentences sit in templates/; each feature keeps its own in templates/<feature>/.
# Names are unique across the folders (tests/bot/test_render.py checks), so render("answer")
# needs no folder.
FEATURE_FOLDERS = (
    "guidance",
    "campaigns",
    "exams",
    "tips",
    "broadcasts",
    "staff",
    "records",
    "inbox",
)
MAX_TEXT = 4096
# The zone every date shown is in: the TIMEZONE setting (configure_timezone, at start).
_zone = {"name": "Asia/Shanghai"}


def configure_timezone(name: str) -> None:
    """Show every date in this zone (the TIMEZONE setting that also drives scheduling)."""
    ZoneInfo(name)  # an unknown zone fails here, at start
    _zone["name"] = name


def _cn_date(value: date | datetime | None, tz: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz or _zone["name"])) if value.tzinfo else value
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def local_minute(value: datetime | None) -> str:
    """A UTC time as the bot's local 'YYYY-MM-DD HH:MM' (naive: UTC, as SQLite returns it)."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
    return f"{aware.astimezone(ZoneInfo(_zone['name'])):%Y-%m-%d %H:%M}"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def cite_groups(citations: Iterable[Citation]) -> list[tuple[Source, list[int]]]:
    """Citations grouped per statute, statutes in sources.yaml order, articles ascending."""
    order = {key: i for i, key in enumerate(sources())}
    grouped: dict[str, set[int]] = {}
    for c in citations:
        grouped.setdefault(c.source, set()).add(c.article)
    keys = sorted(grouped, key=lambda k: order.get(k, len(order)))
    return [(sources()[k], sorted(grouped[k])) for k in keys]


@cache
def environment() -> Environment:
    """The one Environment: autoescape on, undefined names fail loudly."""
    env = Environment(
        loader=FileSystemLoader([TEMPLATES, *(TEMPLATES / f for f in FEATURE_FOLDERS)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["cn_num"] = chinese_number
    env.filters["cn_date"] = _cn_date
    env.filters["local_minute"] = local_minute
    env.filters["pct"] = _pct
    env.filters["cite_groups"] = cite_groups
    env.globals["label"] = label
    return env


def render(template: str, /, **context: Any) -> str:
    """Render templates/<template>.html.j2 and trim the surrounding blank lines."""
    return environment().get_template(f"{template}.html.j2").render(**context).strip()


@cache
def _labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    # templates/labels.yaml is shared; each feature keeps its own templates/<feature>/labels.yaml.
    paths = [TEMPLATES / "labels.yaml", *(TEMPLATES / f / "labels.yaml" for f in FEATURE_FOLDERS)]
    for path in (p for p in paths if p.is_file()):
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        for key, value in data.items():
            if str(key) in labels:
                raise ValueError(f"{path}: label {key!r} is defined twice")
            labels[str(key)] = str(value)
    return labels


def label(key: str, **fmt: Any) -> str:
    """A short button label from a labels.yaml (plain text, never HTML)."""
    text = _labels()[key]
    return text.format(**fmt) if fmt else text


# Characters Telegram shows as nothing that str.strip() keeps (zero-width spaces and joiners).
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def is_blank(text: str | None) -> bool:
    """True for a text Telegram would refuse or show as nothing: empty, spaces, invisible marks."""
    return not (text or "").strip().strip(_INVISIBLE).strip()


def split_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split HTML text at line breaks so each part fits Telegram's limit (after parsing).

    Our templates never open a tag on one line and close it on another, so a cut at a newline
    keeps every part well-formed. A single over-long line is cut at a character boundary
    outside any tag or entity.
    """
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while visible_length(line) > limit:
            cut = _safe_cut(line, limit)
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if visible_length(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


_TAG = re.compile(r"<[^>]*>")


def visible_length(html_text: str) -> int:
    """The length Telegram checks: tags parsed away, entities as one character, in UTF-16."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def pack_items(items: Sequence[str], limit: int = MAX_TEXT, sep: str = "\n\n") -> list[str]:
    """Join rendered items into as few messages as fit, breaking only between two items.

    An item that alone exceeds the limit is the only case cut inside (at line breaks).
    """
    parts: list[str] = []
    current = ""
    for item in (i.strip() for i in items if i.strip()):
        candidate = f"{current}{sep}{item}" if current else item
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = item
        if visible_length(item) > limit:
            parts.extend(split_message(item, limit))
            current = ""
    if current:
        parts.append(current)
    return parts


def _safe_cut(line: str, limit: int) -> int:
    cut = limit
    while cut > 0:
        head = line[:cut]
        if head.rfind("<") <= head.rfind(">") and head.rfind("&") <= head.rfind(";"):
            return cut
        cut -= 1
    return limit
