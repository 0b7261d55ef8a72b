"""From a user's message to what the bot says: one answer, several, suggestions or nothing.

A message may hold two questions ("健康证去哪办？多久办一次？"). Each part is searched on its own
as well as the message as a whole; every part answered with confidence is answered, and a part
that was not is named back to the user with its suggestions, so nothing is silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.loader import Entry
from knowledge.search import Hit, KnowledgeIndex, Outcome, SearchResult

__all__ = ["Answered", "Reply", "answer", "split_questions"]

MAX_PARTS = 3
PART_MARGIN = 0.1
_MIN_PART = 5  # CJK characters: shorter pieces ("还有", "谢谢") join their neighbour
# Sentence ends, and the words people use to start a second question.
_BREAK = re.compile(
    r"(?<=[？?！!。；;\n])|(?=还有[，,]?|另外[，,]?|再问一下|顺便问一?下|顺便问问)"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Answered:
    """A confidently answered question: the words it came from and the entry."""

    text: str
    entry: Entry
    confidence: float


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot does with one message."""

    outcome: Outcome
    answered: tuple[Answered, ...]
    suggestions: tuple[Hit, ...]
    unanswered: str  # a part of the message no answer covers ("" when none or all of it)
    confidence: float
    whole: SearchResult

    @property
    def entry(self) -> Entry | None:
        """The first answered entry."""
        return self.answered[0].entry if self.answered else None


def split_questions(text: str) -> list[str]:
    """The message cut into at most MAX_PARTS question-sized pieces (one piece when it is one)."""
    pieces = [p.strip(" ，,、") for p in _BREAK.split(text) if p and _WORD.search(p)]
    parts: list[str] = []
    for piece in pieces:
        if parts and min(len(_CJK.findall(piece)), len(_CJK.findall(parts[-1]))) < _MIN_PART:
            parts[-1] += piece
        else:
            parts.append(piece)
    if len(parts) > MAX_PARTS:  # a long story: keep the last questions, the story joins them
        parts = ["".join(parts[: -MAX_PARTS + 1]), *parts[-MAX_PARTS + 1 :]]
    return parts


def answer(index: KnowledgeIndex, text: str, *, business_type: str | None = None) -> Reply:
    """Search the message and its parts; decide what to answer and what to suggest."""
    whole = index.search(text, business_type=business_type)
    parts = split_questions(text)
    if len(parts) < 2:
        return _single(text, whole)
    # A piece of the story around the question ("我在夜市摆摊卖炒酸奶，就一个小推车。") is not
    # searched on its own: it asks nothing, and each search costs a few milliseconds.
    results = [
        (part, index.search(part, business_type=business_type) if _asks(part) else _NOTHING)
        for part in parts
    ]
    # A short part has less to go on than the whole message: it must clear a higher bar.
    confident = [
        (p, r)
        for p, r in results
        if r.outcome is Outcome.ANSWERED and r.confidence >= index.model.answer_at + PART_MARGIN
    ]
    answered: list[Answered] = []
    seen: set[str] = set()
    for part, result in confident:
        entry = result.answer
        if entry is not None and entry.id not in seen:
            seen.add(entry.id)
            answered.append(Answered(part, entry, result.confidence))
    if not answered:
        return _single(text, whole)
    if whole.answer is not None and whole.answer.id not in seen and len(answered) == 1:
        # The whole message points elsewhere than its one answered part: the context around
        # the part changes its meaning, so trust neither alone.
        return _single(text, whole)
    rest = [(p, r) for p, r in results if r.outcome is not Outcome.ANSWERED]
    question_like = [(p, r) for p, r in rest if _asks(p)]
    if not question_like:
        return Reply(Outcome.ANSWERED, tuple(answered), (), "", answered[0].confidence, whole)
    part, result = question_like[-1]
    suggestions = tuple(h for h in result.hits if h.entry.id not in seen)
    if result.outcome is not Outcome.SUGGESTED:
        suggestions = ()
    return Reply(
        Outcome.ANSWERED, tuple(answered), suggestions, part, answered[0].confidence, whole
    )


_ASKING = re.compile(
    r"[？?]|吗|呢|么|嘛|咋|怎|啥|什么|哪|几|多少|多久|能不能|要不要|是不是|行不行|中不中|可不可以|有没有"
)


_NOTHING = SearchResult(Outcome.NONE, ())


def _asks(part: str) -> bool:
    """The part is a question, not a piece of the story around one."""
    return bool(_ASKING.search(part))


def _single(text: str, result: SearchResult) -> Reply:
    if result.outcome is Outcome.ANSWERED and result.answer is not None:
        done = (Answered(text, result.answer, result.confidence),)
        return Reply(Outcome.ANSWERED, done, (), "", result.confidence, result)
    hits = result.hits if result.outcome is Outcome.SUGGESTED else ()
    return Reply(result.outcome, (), hits, text if hits else "", result.confidence, result)
