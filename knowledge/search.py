"""The retrieval engine: lexical and fuzzy features, combined by a small learned ranker.

For every question the engine scores each entry with nine features:

- ``coverage``: the IDF-weighted share of the question's words (jieba + domain dictionary +
  synonyms) that the entry's questions, paraphrases and tags contain;
- ``bm25``: Okapi BM25 over those words, scaled by the score of a full match;
- ``char_doc`` / ``char_best`` / ``char_answer``: TF-IDF cosine over characters and character
  pairs against the entry as a whole, its closest single phrasing, and its answer — robust to
  typos and to segmentation that jieba gets wrong;
- ``fuzzy`` / ``partial``: rapidfuzz character ratios against the closest phrasing, whole and
  partial (a long question that contains a short phrasing);
- ``sound_doc`` / ``sound_best``: the character TF-IDF cosines again, over toneless pinyin, so
  the homophone typos of pinyin input methods (健康正, 留杨, 总建) still match.

A linear ranker (weights in knowledge/data/ranker.yaml, fitted by bench/train_ranker.py on a
third of the dev set) orders the entries. A logistic calibrator turns the best score, its lead
over the runner-up and its word coverage into the probability that the answer is right; that
probability, not a raw score, meets the thresholds. Questions the base cannot answer get no
answer rather than an unrelated one.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import numpy as np
from rapidfuzz import fuzz, process

from knowledge.facets import Facets
from knowledge.files import array_json, json_array
from knowledge.loader import Citation, Entry
from knowledge.text import Analyzer
from knowledge.vocab import DATA_DIR
from knowledge.yamlfile import safe_load

__all__ = [
    "CALIBRATION",
    "FEATURES",
    "Hit",
    "KnowledgeIndex",
    "Outcome",
    "RankerModel",
    "SearchResult",
    "signals",
]

FEATURES = (
    "coverage", "bm25", "char_doc", "char_best", "char_answer", "fuzzy", "partial",
    "sound_doc", "sound_best", "intent", "subject", "reverse", "fit",
)  # fmt: skip
# What the calibrator sees of the best candidate (see RankerModel.confidence).
CALIBRATION = (
    "score", "lead", "coverage", "known", "intent", "subject", "fuzzy", "partial", "short",
    "reverse", "fit", "lead_apart",
)  # fmt: skip
# Entries that get the full (costly) features. 20 answer the blind-dev and dev questions exactly
# as 30 did (bench/qa_eval.py) at two thirds of the cost; training looks deeper
# (candidates(pool=...)) for more negatives.
_CANDIDATES = 20
# Ranker scores of right answers run ~10-17 with a median lead of ~4 over the runner-up: this
# reorders near-ties only, never a clear winner.
BUSINESS_BONUS = 0.6
_FUZZY = FEATURES.index("fuzzy")
_PASSING_MENTION = 18  # characters: shorter questions are about the foreign word itself
_GRAM_CHARS = re.compile(r"[\u4e00-\u9fff0-9a-z]")


class Outcome(StrEnum):
    """What the bot does with a question."""

    ANSWERED = "answered"
    SUGGESTED = "suggested"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class RankerModel:
    """Ranker weights, calibrator weights and the two probability thresholds."""

    weights: tuple[float, ...]
    calibration: tuple[float, ...]  # bias, then one weight per CALIBRATION signal
    answer_at: float
    suggest_at: float

    @classmethod
    def load(cls, path: Path = DATA_DIR / "ranker.yaml") -> RankerModel:
        """Read the fitted model."""
        data = safe_load(path.read_text(encoding="utf-8"))
        # A feature the model was not fitted with weighs nothing until the next fit.
        weights = tuple(float(data["weights"].get(name, 0.0)) for name in FEATURES)
        raw = data["calibration"]
        calibration = (float(raw["bias"]), *(float(raw.get(n, 0.0)) for n in CALIBRATION))
        return cls(weights, calibration, float(data["answer_at"]), float(data["suggest_at"]))

    def confidence(self, signals: tuple[float, ...]) -> float:
        """P(the best entry is the right answer), from the CALIBRATION signals."""
        z = self.calibration[0] + sum(
            w * x for w, x in zip(self.calibration[1:], signals, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True, slots=True)
class Hit:
    """One candidate entry with its ranker score and the features behind it."""

    entry: Entry
    score: float
    coverage: float
    features: tuple[float, ...]


_INTENT, _SUBJECT, _PARTIAL, _REVERSE, _FIT = (
    FEATURES.index(n) for n in ("intent", "subject", "partial", "reverse", "fit")
)
_Word = tuple[str, float, set[str], int]  # a word of the index, its IDF, character pairs, count
_LONG = 40  # characters: past this a message is a story around a question, harder to match


def signals(
    best: Hit, lead: float, known: float, query: str, runner_up: Hit | None = None
) -> tuple[float, ...]:
    """The CALIBRATION signals of the best candidate for a question.

    A lead over a runner-up of the same topic is weaker evidence than one over another topic:
    near neighbours (总监 / 安全员, 留样 for whom) share a topic, where the ranker errs most.
    """
    f = best.features
    short = 1.0 - max(0.0, min(1.0, (len(query) - _LONG) / 100))
    apart = runner_up is None or runner_up.entry.topic != best.entry.topic
    return (
        best.score, lead, best.coverage, known,
        f[_INTENT], f[_SUBJECT], f[_FUZZY], f[_PARTIAL], short,
        f[_REVERSE], f[_FIT], lead if apart else 0.0,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The outcome, the candidates it rests on and the confidence in the best one."""

    outcome: Outcome
    hits: tuple[Hit, ...]
    confidence: float = 0.0

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
        """The confidence in the best candidate (0 when nothing matched)."""
        return self.confidence


class _Columns:
    """Unit-length TF-IDF rows stored by column: a query touches only its own grams' columns.

    A dense matrix of ~2,400 phrasings by ~12,000 grams would hold ~115 MB of zeros.
    """

    def __init__(self, n_rows: int, n_cols: int, triples: list[tuple[int, int, float]]) -> None:
        self.n_rows = n_rows
        triples.sort(key=lambda t: t[1])
        self.rows = np.array([t[0] for t in triples], np.int32)
        self.data = np.array([t[2] for t in triples], np.float32)
        cols = np.array([t[1] for t in triples], np.int64)
        self.indptr = np.searchsorted(cols, np.arange(n_cols + 1)).astype(np.int64)

    @classmethod
    def restore(cls, arrays: Mapping[str, np.ndarray], name: str) -> _Columns:
        """The columns arrays() saved under name."""
        self = cls.__new__(cls)
        self.n_rows = int(arrays[f"{name}.n_rows"])
        self.rows = arrays[f"{name}.rows"]
        self.data = arrays[f"{name}.data"]
        self.indptr = arrays[f"{name}.indptr"]
        return self

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """Everything restore() needs, as named arrays."""
        return {
            f"{name}.n_rows": np.array(self.n_rows, np.int64),
            f"{name}.rows": self.rows,
            f"{name}.data": self.data,
            f"{name}.indptr": self.indptr,
        }

    def dot(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Every row's dot product with a query given as (column indexes, weights)."""
        starts, ends = self.indptr[cols], self.indptr[cols + 1]
        sizes = ends - starts
        if not len(cols) or not sizes.any():
            return np.zeros(self.n_rows, np.float32)
        # Every column's stored positions, in column order: starts[k] .. ends[k] - 1.
        pick = np.arange(int(sizes.sum())) + np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
        weights = self.data[pick] * np.repeat(vals, sizes)
        return np.bincount(self.rows[pick], weights=weights, minlength=self.n_rows).astype(
            np.float32
        )


class _CharSpace:
    """TF-IDF vectors over characters and character pairs."""

    def __init__(self, analyzer: Analyzer, docs: list[list[str]]) -> None:
        self.analyzer = analyzer
        self._grams_cache: dict[str, Counter[str]] = {}
        counts = [sum((self.grams(t) for t in texts), Counter()) for texts in docs]
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        n = len(docs)
        self.vocab = {g: i for i, g in enumerate(sorted(df))}
        self.idf = np.array([math.log((n + 1) / (df[g] + 0.5)) for g in sorted(df)], np.float32)
        self.unknown_idf = float(math.log((n + 1) / 0.5))
        self.doc_matrix = self.rows(counts)

    @classmethod
    def restore(
        cls, analyzer: Analyzer, arrays: Mapping[str, np.ndarray], name: str, grams: list[str]
    ) -> Self:
        """The space arrays() saved under name (grams: its vocabulary in column order)."""
        self = cls.__new__(cls)
        self.analyzer = analyzer
        self._grams_cache = {}
        self.vocab = {g: i for i, g in enumerate(grams)}
        self.idf = arrays[f"{name}.idf"]
        self.unknown_idf = float(arrays[f"{name}.unknown_idf"])
        self.doc_matrix = _Columns.restore(arrays, f"{name}.doc")
        return self

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """The numbers restore() needs (the vocabulary goes with the index's strings)."""
        return {
            f"{name}.idf": self.idf,
            f"{name}.unknown_idf": np.array(self.unknown_idf, np.float64),
            **self.doc_matrix.arrays(f"{name}.doc"),
        }

    def units(self, text: str) -> list[str]:
        """The text as a sequence of units: its characters."""
        return list("".join(_GRAM_CHARS.findall(self.analyzer.compact(text))))

    def grams(self, text: str) -> Counter[str]:
        """Units and adjacent pairs of units."""
        units = self.units(text)
        grams = Counter(units)
        grams.update(units[i] + "|" + units[i + 1] for i in range(len(units) - 1))
        return grams

    def rows(self, counts: list[Counter[str]]) -> _Columns:
        """Unit-length TF-IDF rows."""
        triples: list[tuple[int, int, float]] = []
        for r, c in enumerate(counts):
            known, norm = [], 0.0
            for g, k in c.items():
                j = self.vocab.get(g)
                weight = (1 + math.log(k)) * (self.idf[j] if j is not None else self.unknown_idf)
                norm += weight * weight
                if j is not None:  # grams no entry question has never meet a query column
                    known.append((j, weight))
            scale = 1.0 / max(math.sqrt(norm), 1e-9)
            triples.extend((r, j, w * scale) for j, w in known)
        return _Columns(len(counts), len(self.vocab), triples)

    def query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indexes and unit weights of the known grams (unknown ones count in the norm)."""
        grams = self.grams(text)
        cols, vals, norm = [], [], 0.0
        for g, k in grams.items():
            j = self.vocab.get(g)
            weight = (1 + math.log(k)) * (self.idf[j] if j is not None else self.unknown_idf)
            norm += weight * weight
            if j is not None:
                cols.append(j)
                vals.append(weight)
        scale = 1.0 / math.sqrt(norm) if norm else 0.0
        return np.array(cols, np.int64), np.array(vals, np.float32) * scale


class _SoundSpace(_CharSpace):
    """The same vectors over toneless pinyin syllables.

    People type on phones with pinyin input methods, so their typos are homophones:
    健康正 for 健康证, 留杨 for 留样, 总建 for 总监. In this space they match exactly.
    """

    def units(self, text: str) -> list[str]:
        """The text as toneless pinyin syllables (non-Chinese characters kept as they are)."""
        return self.analyzer.pinyin("".join(_GRAM_CHARS.findall(self.analyzer.compact(text))))


class KnowledgeIndex:
    """Built once per knowledge-base version (knowledge.store saves and loads it); search() takes
    a few milliseconds.

    Everything derived from the entries is saved by to_arrays() and restored by from_arrays();
    the ranker model (knowledge/data/ranker.yaml, refitted independently) is applied at query
    time and never saved with them.
    """

    K1 = 1.2
    B = 0.75

    def __init__(
        self,
        entries: list[Entry],
        analyzer: Analyzer | None = None,
        model: RankerModel | None = None,
    ) -> None:
        self.entries = entries
        self.analyzer = analyzer or Analyzer(extra_words=_tags(entries))
        a = self.analyzer
        asked = [[e.question, *e.paraphrases] for e in entries]
        docs = [[*texts, *e.tags] for texts, e in zip(asked, entries, strict=True)]
        self._chars = _CharSpace(a, docs)
        self._sounds = _SoundSpace(a, docs)
        self._sound_strings = self._sounds.rows(
            [self._sounds.grams(t) for texts in asked for t in texts]
        )
        self._string_owner = np.array(
            [i for i, texts in enumerate(asked) for _ in texts], np.int64
        )
        self._strings_of = [[a.compact(t) for t in texts] for texts in asked]
        self._string_matrix = self._chars.rows(
            [self._chars.grams(t) for texts in asked for t in texts]
        )
        self._answer_matrix = self._chars.rows(
            [self._chars.grams(e.answer + e.detail) for e in entries]
        )
        self._tf: list[Counter[str]] = []
        self._answer_terms: list[frozenset[str]] = []
        # Each entry's character pairs as "|ab|cd|…|": a substring test is a set test, in a
        # fraction of the memory of ~50,000 two-character strings in sets.
        self._bigrams: list[str] = []
        # Each phrasing's words as the analyzer cut them (order and repeats kept): reverse
        # coverage reads them as frozensets, made from these the first time it needs them.
        self._phrasing_tokens: list[list[tuple[str, ...]]] = []
        for e, texts in zip(entries, asked, strict=True):
            words = [w for t in [*texts, *e.tags] for w in a.tokens(t)]
            self._tf.append(Counter(words))
            self._answer_terms.append(frozenset(a.tokens(e.answer)))
            pairs: set[str] = set().union(*(a.bigrams(a.compact(t)) for t in texts))
            self._bigrams.append("|" + "|".join(sorted(pairs)) + "|")
            self._phrasing_tokens.append([tuple(a.tokens(t)) for t in texts])
        n = len(entries)
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._lengths = [sum(tf.values()) for tf in self._tf]
        self._vocabulary = (
            set(self._idf)
            | set().union(*self._answer_terms)
            | {w for e in entries for w in a.tokens(e.detail)}
        )
        lines = (DATA_DIR / "out_of_scope.txt").read_text(encoding="utf-8").splitlines()
        self._foreign = tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))
        self._prepare(self._facet_texts(), model)

    def _facet_texts(self) -> list[tuple[str, list[str]]]:
        """Each entry's normalised question and tags, what its facets are read from."""
        a = self.analyzer
        return [(a.normalize(e.question), [a.normalize(t) for t in e.tags]) for e in self.entries]

    def _prepare(
        self, facet_texts: list[tuple[str, list[str]]], model: RankerModel | None
    ) -> None:
        """What both a build and a restore derive: look-ups, the model, per-process caches.

        The entries' facets are read here, not saved: facets.py is tuned often, and a change to
        its patterns then needs no rebuild of the index.
        """
        n = len(self.entries)
        self.by_id = {e.id: e for e in self.entries}
        self.model = model or RankerModel.load()
        self._weights = np.array(self.model.weights, np.float64)
        self._facets = Facets()
        self._entry_facets = [self._facets.of_entry(q, tags) for q, tags in facet_texts]
        self._answerable = [
            self._facets.answerable(self.analyzer.normalize(e.answer)) for e in self.entries
        ]
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, tf in enumerate(self._tf):
            for term in tf:
                self._postings[term].append(i)
        self._avg_len = sum(self._lengths) / max(n, 1)
        self._related: dict[str, list[Entry]] = {}
        self._phrasing_words: dict[int, list[tuple[float, list[_Word]]]] = {}
        self._words: dict[str, _Word] = {}
        self._wording: dict[str, str] = {}  # filled on demand: only foreign words look at it

    # -- saved form ----------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The index as named arrays (strings and entries as one JSON document), no model."""
        terms = sorted(self._vocabulary)
        term_id = {t: i for i, t in enumerate(terms)}
        tf_terms = [term_id[t] for tf in self._tf for t in tf]
        tf_counts = [k for tf in self._tf for k in tf.values()]
        answer_terms = [term_id[t] for ts in self._answer_terms for t in sorted(ts)]
        strings = {
            "entries": [_entry_json(e) for e in self.entries],
            "terms": terms,
            "char_grams": _in_column_order(self._chars.vocab),
            "sound_grams": _in_column_order(self._sounds.vocab),
            "strings_of": self._strings_of,
            "bigrams": self._bigrams,
            "facet_texts": self._facet_texts(),
            "foreign": list(self._foreign),
        }
        return {
            "strings": json_array(strings),
            **self._chars.arrays("chars"),
            **self._sounds.arrays("sounds"),
            **self._sound_strings.arrays("sound_strings"),
            **self._string_matrix.arrays("string_matrix"),
            **self._answer_matrix.arrays("answer_matrix"),
            "string_owner": self._string_owner,
            "tf.ptr": _pointers(len(tf) for tf in self._tf),
            "tf.term": np.array(tf_terms, np.int32),
            "tf.count": np.array(tf_counts, np.int32),
            "answer_terms.ptr": _pointers(len(ts) for ts in self._answer_terms),
            "answer_terms.term": np.array(answer_terms, np.int32),
            "idf": np.array([self._idf.get(t, math.nan) for t in terms], np.float64),
            "lengths": np.array(self._lengths, np.int64),
            # In the analyzer's order: frozenset() of the same sequence in this process makes
            # the same set, iterated (and summed over) in the same order as after a fresh build.
            **_nested("phrasings", self._phrasing_tokens, term_id),
        }

    @classmethod
    def from_arrays(
        cls,
        arrays: Mapping[str, np.ndarray],
        analyzer: Analyzer | None = None,
        model: RankerModel | None = None,
    ) -> KnowledgeIndex:
        """The index to_arrays() saved; the model is read now (or given), never saved."""
        strings = array_json(arrays["strings"])
        self = cls.__new__(cls)
        self.entries = [_entry_from_json(raw) for raw in strings["entries"]]
        self.analyzer = analyzer or Analyzer(extra_words=_tags(self.entries))
        a = self.analyzer
        self._chars = _CharSpace.restore(a, arrays, "chars", strings["char_grams"])
        self._sounds = _SoundSpace.restore(a, arrays, "sounds", strings["sound_grams"])
        self._sound_strings = _Columns.restore(arrays, "sound_strings")
        self._string_matrix = _Columns.restore(arrays, "string_matrix")
        self._answer_matrix = _Columns.restore(arrays, "answer_matrix")
        self._string_owner = arrays["string_owner"]
        self._strings_of = strings["strings_of"]
        self._bigrams = strings["bigrams"]
        terms: list[str] = strings["terms"]
        tf_ptr = arrays["tf.ptr"].tolist()
        tf_terms = [terms[i] for i in arrays["tf.term"].tolist()]
        tf_counts = arrays["tf.count"].tolist()
        self._tf = [
            Counter(dict(zip(tf_terms[lo:hi], tf_counts[lo:hi], strict=True)))
            for lo, hi in itertools.pairwise(tf_ptr)
        ]
        answer_ptr = arrays["answer_terms.ptr"].tolist()
        answer_terms = [terms[i] for i in arrays["answer_terms.term"].tolist()]
        self._answer_terms = [
            frozenset(answer_terms[lo:hi]) for lo, hi in itertools.pairwise(answer_ptr)
        ]
        idf = arrays["idf"].tolist()
        self._idf = {t: v for t, v in zip(terms, idf, strict=True) if not math.isnan(v)}
        self._lengths = arrays["lengths"].tolist()
        self._vocabulary = set(terms)
        self._phrasing_tokens = _restore_nested(arrays, "phrasings", terms)
        self._foreign = tuple(strings["foreign"])
        self._prepare([(q, tags) for q, tags in strings["facet_texts"]], model)
        return self

    def known_share(self, query: str) -> float:
        """IDF-weighted share of the question's words that occur anywhere in the base."""
        terms = set(self.analyzer.tokens(query[:300]))
        total = sum(self._idf_of(t) for t in terms)
        known = sum(self._idf_of(t) for t in terms if t in self._vocabulary)
        return known / total if total else 0.0

    def is_foreign(self, query: str) -> bool:
        """The question names something outside food safety (药店, 化妆品, 工资 …)."""
        return bool(self._foreign_words(query))

    def _foreign_words(self, query: str) -> list[str]:
        text = self.analyzer.normalize(query)
        return [word for word in self._foreign if word in text]

    def _vouched(self, hit: Hit, query: str) -> bool:
        # A near-repeat of the entry's own wording that uses the word ("超市、药店卖保健食品……
        # 要设专柜吗") is in scope: the base itself asks it that way.
        words = self._foreign_words(query)
        wording = self._wording.get(hit.entry.id)
        if wording is None:
            e = hit.entry
            wording = self._wording[e.id] = self.analyzer.normalize(
                " ".join([e.question, *e.paraphrases])
            )
        if hit.features[_FUZZY] >= 0.8 and all(w in wording for w in words):
            return True
        # A long question that mentions the word in passing ("服务员为了提成一个劲让客人加菜，
        # 剩了一桌，饭店会被处罚吗") is about food safety when the entry explains a good part of
        # it; the calibrated confidence then decides as for any question.
        return len(self.analyzer.compact(query)) >= _PASSING_MENTION and hit.coverage >= 0.3

    # -- features ------------------------------------------------------------------------------

    def _idf_of(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def _bm25(self, terms: set[str]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term in terms:
            idf = self._idf.get(term)
            if idf is None:
                continue
            for i in self._postings[term]:
                tf = self._tf[i][term]
                norm = tf + self.K1 * (1 - self.B + self.B * self._lengths[i] / self._avg_len)
                scores[i] += idf * tf * (self.K1 + 1) / norm
        return scores

    def _reverse(
        self, i: int, terms: set[str], query_pairs: set[str], said: dict[str, float]
    ) -> float:
        """How much of the entry's closest phrasing the question says (IDF-weighted, best one).

        An entry that needs a word the user never wrote ("食品安全员" when they asked about the
        总监) is about something else, however much of the question it covers. said: each word's
        credit for this question, shared by all candidates (their phrasings repeat words).
        """
        best = 0.0
        for total, words in self._phrasing_words_of(i):
            if not total:
                continue
            got = 0.0
            for word in words:
                credit = said.get(word[0])
                if credit is None:
                    credit = said[word[0]] = _credit(word, terms, query_pairs)
                got += credit
            best = max(best, got / total)
        return best

    def _phrasing_words_of(self, i: int) -> list[tuple[float, list[_Word]]]:
        """Each phrasing of the entry: its IDF total and its words (IDF, character pairs).

        None of it depends on the question: worked out the first time the entry is a
        candidate, then kept (the index's own words only, a bounded set).
        """
        found = self._phrasing_words.get(i)
        if found is None:
            found = []
            for tokens in self._phrasing_tokens[i]:
                words = frozenset(tokens)
                total = sum(self._idf_of(t) for t in words)
                found.append((total, [self._word(t) for t in words]))
            self._phrasing_words[i] = found
        return found

    def _word(self, word: str) -> _Word:
        known = self._words.get(word)
        if known is None:
            pairs = self.analyzer.bigrams(word)
            known = self._words[word] = (word, self._idf_of(word), pairs, len(pairs))
        return known

    def _asked(self, terms: set[str]) -> tuple[float, list[tuple[str, float, list[str]]]]:
        """The question's words for _coverage, worked out once per question: the IDF total,
        and each word (in the set's order) with its IDF and its character pairs as "|ab|"."""
        total = sum(self._idf_of(t) for t in terms)
        return total, [
            (t, self._idf_of(t), [f"|{p}|" for p in self.analyzer.bigrams(t)]) for t in terms
        ]

    def _coverage(self, i: int, asked: tuple[float, list[tuple[str, float, list[str]]]]) -> float:
        total, words = asked
        if total == 0:
            return 0.0
        got = 0.0
        tf, answer_terms, known_pairs = self._tf[i], self._answer_terms[i], self._bigrams[i]
        for t, idf, pairs in words:
            if t in tf:
                got += idf
            elif t in answer_terms:
                got += 0.5 * idf
            elif pairs:  # a typo or an odd cut: credit the share of the word's pairs we know
                shared = sum(1 for p in pairs if p in known_pairs)
                got += 0.6 * shared / len(pairs) * idf
        return got / total

    def _rank(self, query: str, pool: int = _CANDIDATES) -> list[Hit]:
        a = self.analyzer
        compact = a.compact(query)[:300]
        terms = set(a.tokens(query[:300]))
        if not compact or not terms:
            return []
        cols, vals = self._chars.query(query[:300])
        if cols.size == 0:
            return []
        char_doc = self._chars.doc_matrix.dot(cols, vals)
        char_answer = self._answer_matrix.dot(cols, vals)
        per_string = self._string_matrix.dot(cols, vals)
        char_best = np.zeros(len(self.entries), np.float32)
        np.maximum.at(char_best, self._string_owner, per_string)
        s_cols, s_vals = self._sounds.query(query[:300])
        sound_doc = self._sounds.doc_matrix.dot(s_cols, s_vals)
        sound_best = np.zeros(len(self.entries), np.float32)
        np.maximum.at(sound_best, self._string_owner, self._sound_strings.dot(s_cols, s_vals))
        bm25 = self._bm25(terms)
        # Scaled by what a document matching every word would score, so one common word that
        # happens to match ("今天") cannot look like a full match.
        top_bm25 = sum(self._idf_of(t) for t in terms) * (self.K1 + 1) / 2 or 1.0
        asked = self._facets.of_query(a.normalize(query[:300]))
        query_pairs = a.bigrams(compact)
        cheap = char_doc + char_best + sound_doc
        for i, value in bm25.items():
            cheap[i] += value / top_bm25
        candidates = [i for i in np.argsort(-cheap)[:pool].tolist() if cheap[i] > 0]
        asked_words = self._asked(terms)
        said: dict[str, float] = {}
        # rapidfuzz over every phrasing of every candidate in two calls (one per scorer).
        own = [s for i in candidates for s in self._strings_of[i]]
        ratios = process.cdist([compact], own, scorer=fuzz.ratio, dtype=np.float64)[0]
        partials = process.cdist(own, [compact], scorer=fuzz.partial_ratio, dtype=np.float64)
        ends = np.cumsum([len(self._strings_of[i]) for i in candidates]).tolist()
        hits: list[Hit] = []
        for i, end in zip(candidates, ends, strict=True):
            start = end - len(self._strings_of[i])
            fz = float(ratios[start:end].max()) / 100
            pr = float(partials[start:end, 0].max()) / 100
            coverage = self._coverage(i, asked_words)
            features = (
                coverage,
                bm25.get(i, 0.0) / top_bm25,
                float(char_doc[i]),
                float(char_best[i]),
                float(char_answer[i]),
                fz,
                pr,
                float(sound_doc[i]),
                float(sound_best[i]),
                *self._facets.agreement(asked, self._entry_facets[i]),
                self._reverse(i, terms, query_pairs, said),
                self._facets.fit(asked, self._answerable[i]),
            )
            score = float(np.dot(self._weights, features))
            hits.append(Hit(self.entries[i], round(score, 4), coverage, features))
        hits.sort(key=lambda h: (-h.score, h.entry.id))
        return hits

    # -- public API ----------------------------------------------------------------------------

    def search(
        self, query: str, *, business_type: str | None = None, limit: int = 3
    ) -> SearchResult:
        """Rank entries for a question and decide: answer, suggest (您是不是想问), or decline."""
        if not self.analyzer.has_cjk(query):
            return SearchResult(Outcome.NONE, ())  # "2", "ok", English: no Chinese to match
        hits = self._rank(query)
        if not hits:
            return SearchResult(Outcome.NONE, ())
        if business_type and business_type not in ("consumer", "other"):
            # Between near-equal candidates, prefer the one that binds this kind of business.
            hits = sorted(
                hits,
                key=lambda h: (
                    -(h.score + (BUSINESS_BONUS if h.entry.applies_to(business_type) else 0.0)),
                    h.entry.id,
                ),
            )
        best = hits[0]
        second = next((h for h in hits[1:] if h.entry.id != best.entry.id), None)
        lead = best.score - second.score if second is not None else 1.0
        known = self.known_share(query)
        if self.is_foreign(query) and not self._vouched(best, query):
            return SearchResult(Outcome.NONE, ())
        confidence = self.model.confidence(signals(best, lead, known, query, second))
        if confidence >= self.model.answer_at:
            return SearchResult(Outcome.ANSWERED, tuple(hits[:limit]), confidence)
        if confidence >= self.model.suggest_at:
            return SearchResult(Outcome.SUGGESTED, tuple(hits[:limit]), confidence)
        return SearchResult(Outcome.NONE, (), confidence)

    def candidates(self, query: str, pool: int = _CANDIDATES) -> list[Hit]:
        """The ranked candidates: the pool best by the cheap score (training, diagnostics)."""
        return self._rank(query, pool)

    def related(self, entry: Entry, *, limit: int = 3) -> list[Entry]:
        """The entries most like this one (for 相关问题 buttons); computed once per entry."""
        found = self._related.get(entry.id)
        if found is None:
            found = [h.entry for h in self._rank(entry.question) if h.entry.id != entry.id][:5]
            self._related[entry.id] = found
        return found[:limit]

    def by_topic(self, topic: str) -> list[Entry]:
        """Entries of one topic in file order."""
        return [e for e in self.entries if e.topic == topic]


def _credit(word: _Word, terms: set[str], query_pairs: set[str]) -> float:
    """What one word of an entry's phrasing earns when the question says it (or part of it)."""
    t, idf, pairs, n_pairs = word
    if t in terms:
        return idf
    if n_pairs:
        return 0.6 * len(pairs & query_pairs) / n_pairs * idf
    return 0.0


def _tags(entries: list[Entry]) -> tuple[str, ...]:
    """The entries' tags: domain words the analyzer keeps whole."""
    return tuple(t for e in entries for t in e.tags)


def _in_column_order(vocab: dict[str, int]) -> list[str]:
    return sorted(vocab, key=vocab.__getitem__)


def _pointers(lengths: Iterable[int]) -> np.ndarray:
    """CSR row pointers: where each row's items start, then the end."""
    return np.concatenate([[0], np.cumsum(np.fromiter(lengths, np.int64))]).astype(np.int64)


def _nested(
    name: str, rows: list[list[tuple[str, ...]]], term_id: dict[str, int]
) -> dict[str, np.ndarray]:
    """Lists of lists of terms as two levels of CSR pointers and term ids."""
    inner = [words for row in rows for words in row]
    return {
        f"{name}.ptr": _pointers(len(row) for row in rows),
        f"{name}.inner_ptr": _pointers(len(words) for words in inner),
        f"{name}.term": np.array([term_id[t] for words in inner for t in words], np.int32),
    }


def _restore_nested(
    arrays: Mapping[str, np.ndarray], name: str, terms: list[str]
) -> list[list[tuple[str, ...]]]:
    words = [terms[i] for i in arrays[f"{name}.term"].tolist()]
    inner = [
        tuple(words[lo:hi]) for lo, hi in itertools.pairwise(arrays[f"{name}.inner_ptr"].tolist())
    ]
    return [inner[lo:hi] for lo, hi in itertools.pairwise(arrays[f"{name}.ptr"].tolist())]


def _entry_json(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id,
        "topic": e.topic,
        "question": e.question,
        "paraphrases": list(e.paraphrases),
        "answer": e.answer,
        "detail": e.detail,
        "business_types": sorted(e.business_types),
        "tags": list(e.tags),
        "citations": [[c.source, c.article] for c in e.citations],
        "file": e.file,
        "line": e.line,
    }


def _entry_from_json(raw: dict[str, Any]) -> Entry:
    return Entry(
        id=raw["id"],
        topic=raw["topic"],
        question=raw["question"],
        paraphrases=tuple(raw["paraphrases"]),
        answer=raw["answer"],
        detail=raw["detail"],
        business_types=frozenset(raw["business_types"]),
        tags=tuple(raw["tags"]),
        citations=tuple(Citation(source, article) for source, article in raw["citations"]),
        file=raw["file"],
        line=raw["line"],
    )
