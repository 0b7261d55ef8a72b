"""Group similar questions: greedy leader clustering on character-bigram Jaccard.

Questions are compared as the index compares them (Analyzer.compact: simplified, half-width,
lower case, synonyms; then CJK character bigrams), so 健康証多久辦 and 健康证多久办 are one.
The most asked question leads a group; each next question joins the most similar leader at or
above the threshold, or leads a new group. The result depends only on the input (ties are
broken by text), and candidates come from a prefix filter over rare-first bigrams, so the
work stays near linear for a month of questions rather than quadratic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge.text import Analyzer

__all__ = ["THRESHOLD", "QuestionGroup", "group_similar"]

THRESHOLD = 0.4  # 健康证多久办一次 / 健康证多长时间办一次 share 5 of 11 bigrams
EXAMPLES = 5


@dataclass
class QuestionGroup:
    """Similar questions: how often they were asked, the phrasings most asked first."""

    count: int
    examples: list[tuple[str, int]] = field(default_factory=list)
    phrasings: int = 0

    @property
    def leader(self) -> str:
        """The most asked phrasing."""
        return self.examples[0][0]


def _features(analyzer: Analyzer, compact: str) -> frozenset[str]:
    grams = analyzer.bigrams(compact)
    return frozenset(grams) if grams else frozenset({compact})  # no CJK: exact matches only


def _prefix(tokens: list[str], threshold: float) -> list[str]:
    """Tokens that any set at least `threshold` similar must share one of (same order)."""
    return tokens[: len(tokens) - math.ceil(threshold * len(tokens)) + 1]


def group_similar(
    asked: Iterable[tuple[str, int]], analyzer: Analyzer, *, threshold: float = THRESHOLD
) -> list[QuestionGroup]:
    """Groups of (question, times asked), the most asked group first."""
    merged: dict[str, list[tuple[str, int]]] = {}
    for text, count in asked:
        compact = analyzer.compact(text)
        if compact:
            merged.setdefault(compact, []).append((text.strip(), count))
    items = sorted(
        (
            (sum(n for _, n in v), k, max(v, key=lambda p: (p[1], p[0]))[0])
            for k, v in merged.items()
        ),
        key=lambda item: (-item[0], item[1]),
    )
    features = {key: _features(analyzer, key) for _, key, _ in items}
    rarity = Counter(t for f in features.values() for t in f)
    leaders: list[frozenset[str]] = []
    groups: list[QuestionGroup] = []
    postings: dict[str, list[int]] = {}
    for count, key, shown in items:
        mine = features[key]
        tokens = sorted(mine, key=lambda t: (rarity[t], t))
        probe = _prefix(tokens, threshold)
        best, best_score = -1, threshold
        for g in sorted({g for t in probe for g in postings.get(t, ())}):
            other = leaders[g]
            score = len(mine & other) / len(mine | other)
            if score > best_score or (score == best_score and best < 0):
                best, best_score = g, score
        if best < 0:
            best = len(groups)
            leaders.append(mine)
            groups.append(QuestionGroup(0))
            for t in probe:
                postings.setdefault(t, []).append(best)
        group = groups[best]
        group.count += count
        group.phrasings += 1
        if len(group.examples) < EXAMPLES:
            group.examples.append((shown, count))
    return sorted(groups, key=lambda g: -g.count)  # stable: ties keep the leaders' order
