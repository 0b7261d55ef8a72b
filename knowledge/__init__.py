"""Data and retrieval, pure Python: no telegram, no database."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.answering import Reply
    from knowledge.search import KnowledgeIndex

__all__ = ["answer", "default_index"]


@cache
def default_index() -> KnowledgeIndex:
    """The index over knowledge/data, loaded once per process (see knowledge.store)."""
    from knowledge.store import load_index

    return load_index()


def answer(index: KnowledgeIndex, text: str, *, business_type: str | None = None) -> Reply:
    """What the bot says to a message (see knowledge.answering)."""
    from knowledge.answering import answer as _answer

    return _answer(index, text, business_type=business_type)
