"""jieba's segmentation and pypinyin's toneless pinyin, from dictionaries a few MB in size.

The index asks two libraries three things: cut a text into words (``jieba.Tokenizer.cut``, HMM
on, after ``add_word`` of the domain words) and spell a string of ``[\u4e00-\u9fff0-9a-z]`` in
toneless pinyin (``pypinyin.lazy_pinyin``). Loading them costs ~1 s and ~135 MB per process:
jieba keeps its 349,000-word prefix dictionary as a Python dict (~67 MB) and its HMM tables as
module constants (~14 MB); pypinyin imports 47,000 phrases and 42,000 characters as dicts
(~55 MB).

This module runs the same algorithms (the code below follows jieba 0.42.1 and pypinyin 0.55
step by step, ties included) over the same dictionaries kept as sorted strings in one ``str``
with offsets, searched by bisection: ~10 MB, loaded in a few milliseconds from ``lexicon.npz``.
``build_lexicon()`` extracts them from the installed jieba and pypinyin, which are imported then
and only then (``python -m bot kb build``, or a start-up that finds no lexicon file). The tests
compare both with the libraries on every text of the knowledge base and on random text.
"""

from __future__ import annotations

import logging
import math
import re
import zipfile
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import numpy as np

from knowledge.files import PACKAGE_DIR, array_text, cache_dir, prune, save_npz, text_array

__all__ = [
    "LEXICON_FORMAT",
    "PACKAGED_LEXICON",
    "Lexicon",
    "Segmenter",
    "build_lexicon",
    "lexicon_format_matches",
    "lexicon_sources",
    "load_lexicon",
    "write_lexicon",
]

logger = logging.getLogger(__name__)

# Bump when the saved arrays or the algorithms below change.
LEXICON_FORMAT = 1
PACKAGED_LEXICON = PACKAGE_DIR / "lexicon.npz"
_CJK_FIRST, _CJK_LAST = 0x4E00, 0x9FFF  # the characters the sound space spells

# jieba's patterns (jieba/__init__.py and jieba/finalseg/__init__.py, 0.42.1).
_RE_HAN_DEFAULT = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_RE_SKIP_DEFAULT = re.compile("(\r\n|\\s)", re.U)
_RE_ENG = re.compile("[a-zA-Z0-9]", re.U)
_RE_HMM_HAN = re.compile("([\u4e00-\u9fd5]+)")
_RE_HMM_SKIP = re.compile("([a-zA-Z0-9]+(?:\\.\\d+)?%?)")
_MIN_FLOAT = -3.14e100
_STATES = "BMES"
_PREV_STATUS = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}
# pypinyin's runs: characters it spells vs. everything else, within the sound space's alphabet.
_PINYIN_RUNS = re.compile(
    f"[{chr(_CJK_FIRST)}-{chr(_CJK_LAST)}]+|[^{chr(_CJK_FIRST)}-{chr(_CJK_LAST)}]+"
)


class SortedWords:
    """Sorted strings stored as one ``str`` and offsets; bisection narrowed by first character."""

    def __init__(
        self, blob: str, offsets: array[int] | memoryview, starts: array[int] | memoryview
    ) -> None:
        self._blob = blob
        self._offsets = offsets
        self._starts = starts  # [ord(c)]: first index of the words starting with c (BMP)
        self._n = len(offsets) - 1

    @classmethod
    def of(cls, words: list[str]) -> SortedWords:
        """Store these words (sorted here)."""
        ordered = sorted(set(words))
        offsets = array("I", [0])
        for word in ordered:
            offsets.append(offsets[-1] + len(word))
        starts = array("I", [0] * 0x10001)
        firsts = [ord(w[0]) for w in ordered]
        for code in range(0x10001):
            starts[code] = bisect_left(firsts, code)
        return cls("".join(ordered), offsets, starts)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> str:
        return self._blob[self._offsets[i] : self._offsets[i + 1]]

    def lower_bound(self, key: str, lo: int = 0) -> int:
        """The index of the first word >= key (searching from lo)."""
        code = ord(key[0])
        if code < 0x10000:
            lo, hi = max(lo, self._starts[code]), self._starts[code + 1]
        else:
            hi = self._n
        return bisect_left(self, key, lo, max(lo, hi))

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """The words as named arrays."""
        return {
            f"{name}.blob": text_array(self._blob),
            f"{name}.offsets": np.frombuffer(self._offsets, np.uint32),
            f"{name}.starts": np.frombuffer(self._starts, np.uint32),
        }

    @classmethod
    def restore(cls, saved: Mapping[str, np.ndarray], name: str) -> SortedWords:
        """The words arrays() stored."""
        return cls(
            array_text(saved[f"{name}.blob"]),
            _uint32(saved[f"{name}.offsets"]),
            _uint32(saved[f"{name}.starts"]),
        )


def _uint32(values: np.ndarray) -> memoryview:
    """The loaded array itself, indexed from Python at list speed (no second copy)."""
    return np.ascontiguousarray(values, np.uint32).data


class Lexicon:
    """jieba's dictionary and HMM tables and pypinyin's readings, as compact tables."""

    def __init__(self, saved: Mapping[str, np.ndarray]) -> None:
        self.key = array_text(saved["key"])
        self.source = array_text(saved["source"])  # what it is a snapshot of (lexicon_sources)
        self.words = SortedWords.restore(saved, "words")
        self.freqs = _uint32(saved["word_freqs"])
        self.total = int(saved["total"])
        # The HMM's emission log-probabilities by state, indexed through the character's code.
        self.hmm_index = array("i", [-1]) * 0x10000
        for i, char in enumerate(array_text(saved["hmm_chars"])):
            self.hmm_index[ord(char)] = i
        emit = saved["hmm_emit"]
        self.hmm_emit = {state: array("d", emit[k].tobytes()) for k, state in enumerate(_STATES)}
        start = saved["hmm_start"].tolist()
        self.hmm_start = dict(zip(_STATES, start, strict=True))
        trans = saved["hmm_trans"].tolist()
        self.hmm_trans = {
            a: {b: trans[i][j] for j, b in enumerate(_STATES) if not math.isnan(trans[i][j])}
            for i, a in enumerate(_STATES)
        }
        self.phrases = SortedWords.restore(saved, "phrases")
        self.readings = array_text(saved["readings"])
        self.reading_offsets = _uint32(saved["reading_offsets"])
        chars = array_text(saved["chars"]).split(" ")
        assert len(chars) == _CJK_LAST - _CJK_FIRST + 1
        interned: dict[str, str] = {}
        self.char_readings = [interned.setdefault(c, c) for c in chars]

    # -- jieba's dictionary ---------------------------------------------------------------------

    def freq(self, word: str, lo: int = 0) -> tuple[int | None, int]:
        """jieba's ``FREQ.get(word)`` (None: not even a prefix of a word), and where it was."""
        i = self.words.lower_bound(word, lo)
        if i < len(self.words):
            found = self.words[i]
            if found == word:
                return self.freqs[i], i
            if found.startswith(word):
                return 0, i
        return None, i

    # -- pypinyin -------------------------------------------------------------------------------

    def pinyin(self, text: str) -> list[str]:
        """``pypinyin.lazy_pinyin(text)`` for text of ``[\u4e00-\u9fff0-9a-z]``."""
        out: list[str] = []
        for run in _PINYIN_RUNS.findall(text):
            if _CJK_FIRST <= ord(run[0]) <= _CJK_LAST:
                for word in self._pinyin_cut(run):
                    out.extend(self._reading(word))
            else:
                out.append(run)  # no pinyin: kept as it is (errors="default")
        return out

    def _reading(self, word: str) -> list[str]:
        if len(word) == 1:
            return [self.char_readings[ord(word) - _CJK_FIRST]]
        i = self.phrases.lower_bound(word)
        lo, hi = self.reading_offsets[i], self.reading_offsets[i + 1]
        return self.readings[lo:hi].split(" ")

    def _phrase(self, word: str, lo: int) -> tuple[bool, bool, int]:
        """(a prefix of a phrase, a phrase itself, where it was)."""
        i = self.phrases.lower_bound(word, lo)
        if i < len(self.phrases):
            found = self.phrases[i]
            return found.startswith(word), found == word, i
        return False, False, i

    def _pinyin_cut(self, text: str) -> Iterator[str]:
        """pypinyin.seg.mmseg.Seg.cut with no_non_phrases=True (forward maximum matching)."""
        remain = text
        while remain:
            last_valid_word = ""
            last_valid_index = 0
            lo = 0
            for index in range(len(remain)):
                word = remain[: index + 1]
                is_prefix, is_phrase, lo = self._phrase(word, lo)
                if is_prefix:
                    if is_phrase:
                        last_valid_word = word
                        last_valid_index = index + 1
                else:
                    if last_valid_word:
                        yield last_valid_word
                        remain = remain[last_valid_index:]
                    else:
                        yield remain[0]
                        remain = remain[1:]
                    break
            else:
                if last_valid_word:
                    yield last_valid_word
                    remain = remain[last_valid_index:]
                else:
                    yield from remain  # a prefix of a phrase, no phrase itself: one by one
                    break


class Segmenter:
    """A ``jieba.Tokenizer`` over a Lexicon: ``add_word``, ``suggest_freq``, ``cut``, ``lcut``.

    Words added here live in a small dict in front of the lexicon's; the lexicon is shared.
    """

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._added: dict[str, int] = {}
        self.total = lexicon.total
        self._force_split: set[str] = set()

    def _freq(self, word: str, lo: int = 0) -> tuple[int | None, int]:
        added = self._added.get(word)
        if added is not None:
            return added, lo
        return self._lexicon.freq(word, lo)

    def get(self, word: str) -> int | None:
        """``FREQ.get(word)``."""
        return self._freq(word)[0]

    def add_word(self, word: str, freq: int | None = None) -> None:
        """``Tokenizer.add_word``: freq None suggests one that keeps the word whole."""
        freq = int(freq) if freq is not None else self.suggest_freq(word)
        self._added[word] = freq
        self.total += freq
        for ch in range(len(word)):
            fragment = word[: ch + 1]
            if self.get(fragment) is None:
                self._added[fragment] = 0
        if freq == 0:
            self._force_split.add(word)

    def suggest_freq(self, word: str) -> int:
        """``Tokenizer.suggest_freq(word, tune=False)``."""
        ftotal = float(self.total)
        freq: float = 1
        for seg in self.cut(word, hmm=False):
            freq *= self._get_or_1(seg) / ftotal
        return max(int(freq * self.total) + 1, self._get_or_1(word))

    def _get_or_1(self, word: str) -> int:
        """``FREQ.get(word, 1)``: 1 only when the key is missing (a prefix's 0 stays 0)."""
        found = self.get(word)
        return 1 if found is None else found

    # -- cutting --------------------------------------------------------------------------------

    def _dag(self, sentence: str) -> list[list[tuple[int, int]]]:
        """get_DAG, with each edge's frequency as calc() will read it."""
        n = len(sentence)
        dag: list[list[tuple[int, int]]] = []
        for k in range(n):
            edges: list[tuple[int, int]] = []
            i = k
            fragment = sentence[k]
            lo = 0
            while i < n:
                freq, lo = self._freq(fragment, lo)
                if freq is None:
                    break
                if freq:
                    edges.append((i, freq))
                i += 1
                fragment = sentence[k : i + 1]
            if not edges:
                edges.append((k, 1))  # FREQ.get(char) or 1: it was 0 or absent
            dag.append(edges)
        return dag

    def _route(self, sentence: str) -> list[tuple[float, int]]:
        """calc(): the most probable path, ties to the longer word, exactly as jieba sums."""
        n = len(sentence)
        route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        route[n] = (0, 0)
        logtotal = math.log(self.total)
        dag = self._dag(sentence)
        for idx in range(n - 1, -1, -1):
            route[idx] = max(
                (math.log(freq) - logtotal + route[x + 1][0], x) for x, freq in dag[idx]
            )
        return route

    def _cut_dag(self, sentence: str) -> Iterator[str]:
        route = self._route(sentence)
        x = 0
        buf = ""
        n = len(sentence)
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if y - x == 1:
                buf += word
            else:
                if buf:
                    yield from self._flush(buf)
                    buf = ""
                yield word
            x = y
        if buf:
            yield from self._flush(buf)

    def _flush(self, buf: str) -> Iterator[str]:
        if len(buf) == 1:
            yield buf
        elif not self.get(buf):
            yield from self._hmm_cut(buf)
        else:
            yield from buf

    def _cut_dag_no_hmm(self, sentence: str) -> Iterator[str]:
        route = self._route(sentence)
        x = 0
        n = len(sentence)
        buf = ""
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if _RE_ENG.match(word) and len(word) == 1:
                buf += word
                x = y
            else:
                if buf:
                    yield buf
                    buf = ""
                yield word
                x = y
        if buf:
            yield buf

    def cut(self, sentence: str, *, hmm: bool = True) -> Iterator[str]:
        """``Tokenizer.cut(sentence, cut_all=False, HMM=hmm)``."""
        cut_block = self._cut_dag if hmm else self._cut_dag_no_hmm
        for block in _RE_HAN_DEFAULT.split(sentence):
            if not block:
                continue
            if _RE_HAN_DEFAULT.match(block):
                yield from cut_block(block)
            else:
                for x in _RE_SKIP_DEFAULT.split(block):
                    if _RE_SKIP_DEFAULT.match(x):
                        yield x
                    else:
                        yield from x

    def lcut(self, sentence: str) -> list[str]:
        """``Tokenizer.lcut(sentence)``."""
        return list(self.cut(sentence))

    # -- jieba.finalseg -------------------------------------------------------------------------

    def _hmm_cut(self, sentence: str) -> Iterator[str]:
        for block in _RE_HMM_HAN.split(sentence):
            if _RE_HMM_HAN.match(block):
                for word in self._viterbi_cut(block):
                    if word not in self._force_split:
                        yield word
                    else:
                        yield from word
            else:
                for x in _RE_HMM_SKIP.split(block):
                    if x:
                        yield x

    def _viterbi_cut(self, sentence: str) -> Iterator[str]:
        positions = self._viterbi(sentence)
        begin, nexti = 0, 0
        for i, char in enumerate(sentence):
            pos = positions[i]
            if pos == "B":
                begin = i
            elif pos == "E":
                yield sentence[begin : i + 1]
                nexti = i + 1
            elif pos == "S":
                yield char
                nexti = i + 1
        if nexti < len(sentence):
            yield sentence[nexti:]

    def _viterbi(self, obs: str) -> list[str]:
        lex = self._lexicon
        index, emit, start, trans = lex.hmm_index, lex.hmm_emit, lex.hmm_start, lex.hmm_trans

        def emit_p(state: str, char: str) -> float:
            code = ord(char)
            i = index[code] if code < 0x10000 else -1
            return _MIN_FLOAT if i < 0 else emit[state][i]

        v: list[dict[str, float]] = [{}]
        path: dict[str, list[str]] = {}
        for y in _STATES:
            v[0][y] = start[y] + emit_p(y, obs[0])
            path[y] = [y]
        for t in range(1, len(obs)):
            v.append({})
            newpath: dict[str, list[str]] = {}
            for y in _STATES:
                em_p = emit_p(y, obs[t])
                prob, state = max(
                    (v[t - 1][y0] + trans[y0].get(y, _MIN_FLOAT) + em_p, y0)
                    for y0 in _PREV_STATUS[y]
                )
                v[t][y] = prob
                newpath[y] = [*path[state], y]
            path = newpath
        _prob, state = max((v[len(obs) - 1][y], y) for y in "ES")
        return path[state]


# -- building and loading ---------------------------------------------------------------------


def lexicon_sources() -> str:
    """What the lexicon is made from: its format and the libraries' versions."""
    import importlib.metadata

    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("jieba", "pypinyin")
    )
    return f"lexicon-format {LEXICON_FORMAT}; {versions}"


def build_lexicon() -> dict[str, np.ndarray]:
    """Extract the tables from the installed jieba and pypinyin (a few seconds, ~300 MB)."""
    import jieba
    import jieba.finalseg
    from pypinyin import lazy_pinyin
    from pypinyin.constants import PHRASES_DICT

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir())  # jieba's own marshal cache, not the temp folder
    tokenizer.initialize()
    freq: dict[str, int] = tokenizer.FREQ
    keys = sorted(freq)
    # Every prefix of a word is a key (0 unless a word itself): keep the words; a prefix is
    # found by bisection as the start of the next word.
    kept = [
        k
        for i, k in enumerate(keys)
        if freq[k] or not (i + 1 < len(keys) and keys[i + 1].startswith(k))
    ]
    words = SortedWords.of(kept)
    freqs = np.array([freq[w] for w in kept], np.int64)
    assert freqs.max() < 2**32
    emit = jieba.finalseg.emit_P
    hmm_chars = sorted(set().union(*emit.values()))
    assert all(len(c) == 1 and ord(c) < 0x10000 for c in hmm_chars)
    hmm_emit = np.array(
        [[emit[s].get(c, _MIN_FLOAT) for c in hmm_chars] for s in _STATES], np.float64
    )
    trans = jieba.finalseg.trans_P
    hmm_trans = np.array(
        [[trans[a].get(b, math.nan) for b in _STATES] for a in _STATES], np.float64
    )
    chars = [lazy_pinyin(chr(c)) for c in range(_CJK_FIRST, _CJK_LAST + 1)]
    assert all(len(r) == 1 and " " not in r[0] for r in chars)
    phrases = sorted(PHRASES_DICT)
    readings = [" ".join(lazy_pinyin(p)) for p in phrases]
    reading_offsets = np.cumsum([0, *(len(r) for r in readings)])
    return {
        "source": text_array(lexicon_sources()),
        **words.arrays("words"),
        "word_freqs": freqs.astype(np.uint32),
        "total": np.array(tokenizer.total, np.int64),
        "hmm_chars": text_array("".join(hmm_chars)),
        "hmm_emit": hmm_emit,
        "hmm_start": np.array([jieba.finalseg.start_P[s] for s in _STATES], np.float64),
        "hmm_trans": hmm_trans,
        **SortedWords.of(phrases).arrays("phrases"),
        "readings": text_array("".join(readings)),
        "reading_offsets": reading_offsets.astype(np.uint32),
        "chars": text_array(" ".join(r[0] for r in chars)),
    }


def write_lexicon(saved: dict[str, np.ndarray], path: Path) -> None:
    """Save a built lexicon under the key its format gives it."""
    save_npz(path, {"key": text_array(_key()), **saved})


def _key() -> str:
    return f"lexicon-format {LEXICON_FORMAT}"


def lexicon_format_matches(path: Path) -> bool:
    """The file holds a lexicon of this code's format."""
    try:
        with np.load(path) as saved:
            return array_text(saved["key"]) == _key()
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False


def _read(path: Path) -> Lexicon | None:
    try:
        with np.load(path) as saved:
            if array_text(saved["key"]) != _key():
                return None
            return Lexicon(saved)  # member by member: each array is dropped once converted
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


@cache
def load_lexicon(packaged: Path = PACKAGED_LEXICON) -> Lexicon:
    """The shipped lexicon, else the cached one, else one built now (logged, then cached).

    The lexicon is a snapshot: retrieval does not change when jieba or pypinyin are upgraded,
    only when ``python -m bot kb build`` takes a new snapshot of them.
    """
    cached = cache_dir() / f"lexicon-{LEXICON_FORMAT}.npz"
    for path in (packaged, cached):
        lexicon = _read(path)
        if lexicon is not None:
            return lexicon
    logger.warning(
        "Lexicon %s missing or of another format: building it from jieba and pypinyin into %s",
        packaged,
        cached,
    )
    saved = build_lexicon()
    try:
        write_lexicon(saved, cached)
        prune(cached.parent, "lexicon-*.npz")
    except OSError as exc:
        logger.warning("Could not cache the lexicon in %s: %s", cached.parent, exc)
    return Lexicon({"key": text_array(_key()), **saved})
