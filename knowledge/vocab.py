"""Small shared vocabularies loaded from knowledge/data (business types, topics, sources)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DATA_DIR", "Source", "business_types", "sources", "topics"]

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
