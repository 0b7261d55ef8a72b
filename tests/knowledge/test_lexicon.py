"""The lexicon cuts and spells exactly as jieba and pypinyin do, on the base and on any text."""

from __future__ import annotations

import importlib.metadata
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.files import cache_dir
from knowledge.lexicon import Lexicon, Segmenter, load_lexicon
from knowledge.loader import load_entries
from knowledge.text import Analyzer
from knowledge.vocab import DATA_DIR

jieba = pytest.importorskip("jieba")
pypinyin = pytest.importorskip("pypinyin")

ROOT = Path(__file__).resolve().parents[2]
_SOUND_CHARS = re.compile(r"[\u4e00-\u9fff0-9a-z]")


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    """The lexicon in use; its comparison with the libraries needs the versions it was taken of."""
    found = load_lexicon()
    installed = ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("jieba", "pypinyin")
    )
    if not found.source.endswith(installed):
        pytest.skip(
            f"the lexicon is a snapshot of {found.source}, the installed libraries are "
            f"{installed}: `python -m bot kb build --lexicon` takes a new snapshot"
        )
    return found


def jieba_tokenizer(words: set[str]) -> Any:
    """A jieba tokenizer given the analyzer's words the way the analyzer adds them."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir())
    for line in (DATA_DIR / "userdict.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts:
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tokenizer.add_word(parts[0], freq=freq)
    for word in words:
        if len(word) >= 2:
            tokenizer.add_word(word, freq=2000)
    return tokenizer


@pytest.fixture(scope="module")
def pair(lexicon: Lexicon) -> tuple[Analyzer, Any]:
    """The index's analyzer (entry tags added) and jieba given the same words."""
    tags = tuple(t for e in load_entries() for t in e.tags)
    analyzer = Analyzer(extra_words=tags)
    return analyzer, jieba_tokenizer({*analyzer.synonyms.values(), *tags})


@pytest.fixture(scope="module")
def plain(lexicon: Lexicon) -> tuple[Analyzer, Any]:
    """An analyzer with the default words only, and jieba given the same."""
    analyzer = Analyzer()
    return analyzer, jieba_tokenizer(set(analyzer.synonyms.values()))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Every text the index is built from, and the dev set's questions."""
    found: list[str] = []
    for e in load_entries():
        found += [e.question, *e.paraphrases, e.answer, e.detail, *e.tags]
    for path in sorted((ROOT / "bench" / "data").glob("qa_dev_*.yaml")):
        found += [str(item["q"]) for item in yaml.safe_load(path.read_text("utf-8"))]
    return found


def test_every_text_of_the_base_is_cut_as_jieba_cuts_it(
    pair: tuple[Analyzer, Any], texts: list[str]
) -> None:
    analyzer, tokenizer = pair
    segmenter: Segmenter = analyzer._tokenizer
    assert segmenter.total == tokenizer.total
    differ = []
    for text in texts:
        normal = analyzer.normalize(text)
        if segmenter.lcut(normal) != tokenizer.lcut(normal):
            differ.append(text)
    assert differ == []


def test_every_text_of_the_base_is_spelled_as_pypinyin_spells_it(
    pair: tuple[Analyzer, Any], texts: list[str]
) -> None:
    analyzer, _ = pair
    differ = []
    for text in texts:
        sound = "".join(_SOUND_CHARS.findall(analyzer.compact(text)))
        if analyzer.pinyin(sound) != pypinyin.lazy_pinyin(sound):
            differ.append(text)
    assert differ == []


def test_words_added_to_the_segmenter_get_jieba_s_frequencies(lexicon: Lexicon) -> None:
    ours, theirs = Segmenter(lexicon), jieba.Tokenizer()
    theirs.tmp_dir = str(cache_dir())
    # No freq 0: jieba keeps such words in a process-wide set that would leak into other tests.
    for word, freq in [("日管控", None), ("食品安全总监", 20), ("小作坊", 5), ("健康证明", None)]:
        ours.add_word(word, freq)
        theirs.add_word(word, freq)
    for word in ("日管控", "日管", "食品安全总监", "小作坊", "健康证明", "健康", "不是词"):
        assert ours.get(word) == theirs.FREQ.get(word), word
    assert ours.total == theirs.total
    assert ours.lcut("小作坊要搞日管控吗") == theirs.lcut("小作坊要搞日管控吗")


# Chinese characters (common and rare), digits, latin, spaces, punctuation and emoji.
ANY_TEXT = st.text(
    st.one_of(
        st.sampled_from("健康证明多久办一次食品安全总监小作坊餐饮外卖过期罚款留样的了吗呢"),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from("0123456789abcXYZ .,，。！？\n\t%-_#&+😀"),
        st.characters(),
    ),
    max_size=60,
)
SOUND_TEXT = st.text(
    st.one_of(
        st.sampled_from("健康证明多久办一次食品安全总监银行重庆长大"),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from("0123456789abcxyz"),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_any_text_is_cut_as_jieba_cuts_it(plain: tuple[Analyzer, Any], text: str) -> None:
    analyzer, tokenizer = plain
    assert analyzer._tokenizer.lcut(text) == tokenizer.lcut(text)


@settings(max_examples=300, deadline=None)
@given(text=SOUND_TEXT)
def test_any_text_is_spelled_as_pypinyin_spells_it(lexicon: Lexicon, text: str) -> None:
    assert lexicon.pinyin(text) == pypinyin.lazy_pinyin(text)
