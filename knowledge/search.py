"""The retrieval engine: lexical coverage + BM25 + character-level fuzzy matching, combined.

Every query ends in one of three outcomes. The confidence score is built from absolute
measures (how much of the question, weighted by rarity, the entry explains; how close the
question is to one way the entry is asked), so a threshold means the same thing for every
query, unlike a raw BM25 score.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process

from knowledge.loader import Entry
from knowledge.text import Analyzer

__all__ = ["Hit", "KnowledgeIndex", "Outcome", "SearchResult", "Thresholds"]


class Outcome(StrEnum):
    """What the bot does with a question."""

    ANSWERED = "answered"
    SUGGESTED = "suggested"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Calibrated on bench/data (see bench/qa_eval.py)."""

    answer: float = 0.56
    suggest: float = 0.36
    margin: float = 0.04  # a confident answer must beat the runner-up from another topic
    min_coverage: float = 0.34  # below this share of the question explained, never confident


@dataclass(frozen=True, slots=True)
class Hit:
    """One candidate entry with its score parts."""

    entry: Entry
    score: float
    coverage: float
    fuzzy: float
    bm25: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The outcome with the best hit (if answered) and up to three suggestions."""

    outcome: Outcome
    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit | None:
        """The top-ranked candidate, whatever the outcome."""
        return self.hits[0] if self.hits else None

    @property
    def answer(self) -> Entry | None:
        """The entry to answer with, only when confident."""
        return self.hits[0].entry if self.outcome is Outcome.ANSWERED else None

    @property
    def score(self) -> float:
        """The top score (0 when nothing matched)."""
        return self.hits[0].score if self.hits else 0.0


class _Doc:
    __slots__ = ("answer_terms", "bigrams", "length", "strings", "terms", "tf")

    def __init__(self, analyzer: Analyzer, entry: Entry) -> None:
        asked = [entry.question, *entry.paraphrases]
        words: list[str] = []
        for text in [*asked, *entry.tags]:
            words.extend(analyzer.tokens(text))
        self.tf = Counter(words)
        self.length = len(words)
        self.terms = frozenset(words)
        self.answer_terms = frozenset(analyzer.tokens(entry.answer))
        self.strings = [analyzer.compact(t) for t in asked]
        self.bigrams: set[str] = set()
        for s in self.strings:
            self.bigrams |= analyzer.bigrams(s)


class KnowledgeIndex:
    """Build once at start-up; search() is pure and takes well under a millisecond or two."""

    K1 = 1.2
    B = 0.75

    def __init__(
        self,
        entries: list[Entry],
        analyzer: Analyzer | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self.analyzer = analyzer or Analyzer(extra_words=tuple(t for e in entries for t in e.tags))
        self.thresholds = thresholds or Thresholds()
        self._docs = [_Doc(self.analyzer, e) for e in entries]
        n = len(entries)
        df: Counter[str] = Counter()
        bigram_df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.terms)
            bigram_df.update(doc.bigrams)
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._bigram_idf = {b: math.log(1 + (n - d + 0.5) / (d + 0.5)) for b, d in bigram_df.items()}
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(self._docs):
            for term in doc.terms:
                self._postings[term].append(i)
        self._avg_len = sum(d.length for d in self._docs) / max(n, 1)
        self._strings: list[str] = []
        self._string_owner: list[int] = []
        for i, doc in enumerate(self._docs):
            for s in doc.strings:
                self._strings.append(s)
                self._string_owner.append(i)

    # -- scoring -------------------------------------------------------------------------------

    def _idf_of(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def _bm25(self, terms: list[str]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term in set(terms):
            idf = self._idf.get(term)
            if idf is None:
                continue
            for i in self._postings[term]:
                doc = self._docs[i]
                tf = doc.tf[term]
                norm = tf + self.K1 * (1 - self.B + self.B * doc.length / self._avg_len)
                scores[i] += idf * tf * (self.K1 + 1) / norm
        return scores

    def _fuzzy(self, compact: str) -> dict[int, float]:
        best: dict[int, float] = {}
        if not compact:
            return best
        for _, score, idx in process.extract(
            compact, self._strings, scorer=fuzz.ratio, limit=60, score_cutoff=30
        ):
            owner = self._string_owner[idx]
            best[owner] = max(best.get(owner, 0.0), score / 100)
        return best

    def _coverage(self, i: int, terms: set[str], bigrams: set[str]) -> float:
        doc = self._docs[i]
        total = sum(self._idf_of(t) for t in terms)
        if total == 0:
            return 0.0
        got = 0.0
        for t in terms:
            if t in doc.terms:
                got += self._idf_of(t)
            elif t in doc.answer_terms:
                got += 0.5 * self._idf_of(t)
            else:
                # A typo or an odd cut: credit the share of the word's characters pairs we know.
                pairs = self.analyzer.bigrams(t)
                if pairs:
                    share = len(pairs & doc.bigrams) / len(pairs)
                    got += 0.6 * share * self._idf_of(t)
        word_cov = got / total
        if not bigrams:
            return word_cov
        b_total = sum(self._bigram_idf.get(b, self._unknown_idf) for b in bigrams)
        b_got = sum(self._bigram_idf.get(b, 0.0) for b in bigrams & doc.bigrams)
        return 0.7 * word_cov + 0.3 * (b_got / b_total if b_total else 0.0)

    # -- public API ----------------------------------------------------------------------------

    def search(self, query: str, *, business_type: str | None = None, limit: int = 3) -> SearchResult:
        """Rank entries for a question and decide: answer, suggest, or decline."""
        compact = self.analyzer.compact(query)[:300]
        terms = self.analyzer.tokens(query[:300])
        if not compact or not terms:
            return SearchResult(Outcome.NONE, ())
        term_set = set(terms)
        bigrams = self.analyzer.bigrams(compact)
        bm25 = self._bm25(terms)
        fuzzy = self._fuzzy(compact)
        candidates = set(bm25) | set(fuzzy)
        if not candidates:
            return SearchResult(Outcome.NONE, ())
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        hits: list[Hit] = []
        for i in candidates:
            entry = self.entries[i]
            coverage = self._coverage(i, term_set, bigrams)
            fz = fuzzy.get(i, 0.0)
            rel = bm25.get(i, 0.0) / top_bm25
            score = 0.55 * coverage + 0.3 * fz + 0.15 * rel
            if business_type and business_type not in ("consumer", "other"):
                score += 0.03 if entry.applies_to(business_type) else -0.03
            hits.append(Hit(entry, round(score, 4), coverage, fz, rel))
        hits.sort(key=lambda h: (-h.score, h.entry.id))
        return self._decide(hits, limit)

    def _decide(self, hits: list[Hit], limit: int) -> SearchResult:
        t = self.thresholds
        best = hits[0]
        if best.score < t.suggest:
            return SearchResult(Outcome.NONE, ())
        runner_up = next((h for h in hits[1:] if h.entry.topic != best.entry.topic), None)
        clear = runner_up is None or best.score - runner_up.score >= t.margin
        if best.score >= t.answer and best.coverage >= t.min_coverage and clear:
            return SearchResult(Outcome.ANSWERED, tuple(hits[:limit]))
        suggestions = tuple(h for h in hits[:limit] if h.score >= t.suggest)
        return SearchResult(Outcome.SUGGESTED, suggestions)

    def related(self, entry: Entry, *, limit: int = 3) -> list[Entry]:
        """Other entries of the same topic that are most alike (for 相关问题 buttons)."""
        result = self.search(entry.question, limit=limit + 5)
        same = [h.entry for h in result.hits if h.entry.id != entry.id]
        if len(same) < limit:
            same += [e for e in self.entries if e.topic == entry.topic and e not in same and e != entry]
        return same[:limit]

    def by_topic(self, topic: str) -> list[Entry]:
        """Entries of one topic in file order."""
        return [e for e in self.entries if e.topic == topic]
