"""Chinese text normalisation and segmentation shared by the index and the queries."""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property, lru_cache
from pathlib import Path

import opencc

from knowledge.lexicon import Segmenter, load_lexicon
from knowledge.vocab import DATA_DIR
from knowledge.yamlfile import safe_load

__all__ = ["Analyzer"]

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u4e00-\u9fff]")


class Analyzer:
    """Normalise (width, case, synonyms) and segment as jieba does, plus the domain dictionary.

    Segmentation and pinyin come from knowledge.lexicon: jieba's and pypinyin's algorithms over
    their dictionaries in compact form (loaded in milliseconds; the libraries are not imported).
    """

    def __init__(self, data_dir: Path = DATA_DIR, extra_words: tuple[str, ...] = ()) -> None:
        self._lexicon = load_lexicon()
        self._tokenizer = Segmenter(self._lexicon)
        # The format is jieba's user dictionary: "word [freq] [tag]".
        for line in (data_dir / "userdict.txt").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts:
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                self._tokenizer.add_word(parts[0], freq=freq)
        with (data_dir / "synonyms.yaml").open(encoding="utf-8") as fh:
            table: dict[str, list[str]] = safe_load(fh)
        self.synonyms: dict[str, str] = {}
        for canonical, variants in table.items():
            self.synonyms[canonical.lower()] = canonical
            for variant in variants:
                self.synonyms.setdefault(str(variant).lower(), canonical)
        for word in {*self.synonyms.values(), *extra_words}:
            if len(word) >= 2:
                self._tokenizer.add_word(word, freq=2000)
        alternation = sorted(self.synonyms, key=len, reverse=True)
        self._synonym_re = re.compile("|".join(re.escape(w) for w in alternation))
        # Phones set to traditional characters (飯店、許可證) ask the same questions.
        self._t2s = opencc.OpenCC("t2s")
        stop_path = data_dir / "stopwords.txt"
        self.stopwords = frozenset(
            line.strip() for line in stop_path.read_text(encoding="utf-8").splitlines() if line
        )

    @lru_cache(maxsize=1024)  # noqa: B019 (one Analyzer per process; a question is normalised ~6 times)
    def normalize(self, text: str) -> str:
        """Traditional to simplified, full-width to half-width, lower case, synonyms."""
        text = self._t2s.convert(unicodedata.normalize("NFKC", text).lower())
        return self._synonym_re.sub(lambda m: self.synonyms[m.group(0)], text)

    def compact(self, text: str) -> str:
        """The normalised text without spaces and punctuation (for character-level matching)."""
        return _PUNCT.sub("", self.normalize(text))

    def tokens(self, text: str) -> list[str]:
        """Content words: segmented, normalised, without stop words and punctuation."""
        # One question is segmented by the ranker, the vocabulary share and the gate alike.
        return list(self._tokens(text))

    @lru_cache(maxsize=512)  # noqa: B019 (one Analyzer per process, kept for its lifetime)
    def _tokens(self, text: str) -> tuple[str, ...]:
        out: list[str] = []
        for word in self._tokenizer.lcut(self.normalize(text)):
            word = word.strip()
            if not word or word in self.stopwords or not _PUNCT.sub("", word):
                continue
            out.append(word)
        return tuple(out)

    def pinyin(self, text: str) -> list[str]:
        """Toneless pinyin of text made of [\u4e00-\u9fff0-9a-z] (pypinyin.lazy_pinyin)."""
        return self._lexicon.pinyin(text)

    @staticmethod
    def bigrams(compact: str) -> set[str]:
        """Character bigrams of the CJK part (robust to typos and odd segmentation)."""
        chars = "".join(_CJK.findall(compact))
        return {chars[i : i + 2] for i in range(len(chars) - 1)}

    @staticmethod
    def has_cjk(text: str) -> bool:
        """True when the text contains Chinese characters."""
        return bool(_CJK.search(text))

    @cached_property
    def canonical_terms(self) -> frozenset[str]:
        """Every canonical synonym (the domain vocabulary)."""
        return frozenset(self.synonyms.values())
