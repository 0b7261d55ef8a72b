"""Small shared vocabularies loaded from knowledge/data (business types, topics, sources)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DATA_DIR", "Source", "business_type_key", "business_types", "sources", "topics"]

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Source:
    """A statute that may be cited."""

    key: str
    title: str
    effective: date
    file: str
    articles: int


def _load(name: str) -> Any:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def business_types() -> dict[str, str]:
    """Business type key -> Chinese name, in display order."""
    return {str(k): str(v) for k, v in _load("business_types.yaml").items()}


# Words people use for their own business that are not a whole type name.
_BUSINESS_WORDS = {
    "餐饮": "catering", "饭店": "catering", "餐馆": "catering",
    "销售": "retail", "超市": "retail", "食品经营": "retail",
    "生产": "production", "食品厂": "production",
    "小作坊": "small", "小餐饮": "small", "摊点": "small", "食品摊点": "small",
    "食堂": "canteen", "集中用餐": "canteen",
    "网络餐饮": "online", "外卖": "online",
    "消费者": "consumer", "市民": "consumer",
}  # fmt: skip


def business_type_key(value: str) -> str | None:
    """The key for a business type given by key, Chinese name or a common word (小作坊 …)."""
    text = value.strip()
    types = business_types()
    if text.lower() in types:
        return text.lower()
    for key, name in types.items():
        if text == name or text in name.split("/"):
            return key
    return _BUSINESS_WORDS.get(text)


@cache
def topics() -> tuple[str, ...]:
    """The browseable topics, in display order."""
    return tuple(str(t) for t in _load("topics.yaml"))


@cache
def sources() -> dict[str, Source]:
    """Citable statutes by key."""
    raw = _load("sources.yaml")
    return {
        key: Source(key, v["title"], v["effective"], v["file"], int(v["articles"]))
        for key, v in raw.items()
    }
