"""The index is built once per knowledge-base version, shipped, loaded, and rebuilt when stale."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge import store
from knowledge.files import save_npz, text_array
from knowledge.lexicon import PACKAGED_LEXICON, lexicon_format_matches
from knowledge.search import FEATURES, KnowledgeIndex, RankerModel
from knowledge.store import (
    PACKAGED_INDEX,
    build_index,
    data_key,
    load_index,
    read_index,
    read_key,
    stale_reason,
    write_index,
)
from knowledge.vocab import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]


def dev_questions() -> list[str]:
    """The dev set's questions (bench/data/qa_dev_*.yaml; the blind set is never read)."""
    questions: list[str] = []
    for path in sorted((ROOT / "bench" / "data").glob("qa_dev_*.yaml")):
        questions.extend(str(item["q"]) for item in yaml.safe_load(path.read_text("utf-8")))
    return questions


@pytest.fixture(scope="module")
def fresh() -> KnowledgeIndex:
    """An index built now from knowledge/data (a few seconds)."""
    return build_index()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch, fresh: KnowledgeIndex) -> list[KnowledgeIndex]:
    """Every build load_index() starts, each answered with the module's fresh index."""
    done: list[KnowledgeIndex] = []

    def build() -> KnowledgeIndex:
        done.append(fresh)
        return fresh

    monkeypatch.setattr(store, "build_index", build)
    return done


def test_the_shipped_index_is_fresh(fresh: KnowledgeIndex) -> None:
    reason = stale_reason(PACKAGED_INDEX, data_key())
    assert reason is None, (
        f"The shipped index is stale ({reason}): run `python -m bot kb build` and commit "
        "knowledge/index.npz with the knowledge files."
    )
    # The key covers the data, not the code: code that builds the index differently without
    # bumping INDEX_FORMAT shows up here, as answers that differ from a fresh build.
    shipped = read_index(PACKAGED_INDEX, data_key())
    assert shipped is not None
    differ = [
        question
        for question in dev_questions()[::4]
        if [(h.entry.id, h.score, h.features) for h in shipped.candidates(question)]
        != [(h.entry.id, h.score, h.features) for h in fresh.candidates(question)]
    ]
    assert differ == [], (
        f"The shipped index ranks {len(differ)} dev questions differently from a fresh build "
        "(the code that builds it changed): bump INDEX_FORMAT in knowledge/store.py, run "
        "`python -m bot kb build` and commit knowledge/index.npz."
    )


def test_the_shipped_lexicon_has_this_code_s_format() -> None:
    assert lexicon_format_matches(PACKAGED_LEXICON), (
        f"{PACKAGED_LEXICON} is missing or of another format: run `python -m bot kb build` "
        "and commit knowledge/lexicon.npz."
    )


def test_a_loaded_index_answers_exactly_as_a_fresh_build(
    tmp_path: Path, fresh: KnowledgeIndex
) -> None:
    path = tmp_path / "index.npz"
    write_index(fresh, path, data_key())
    loaded = load_index(packaged=path, cache=tmp_path / "cache")
    assert loaded.entries == fresh.entries
    assert loaded.by_id == fresh.by_id
    assert loaded.model == fresh.model
    questions = dev_questions()
    assert len(questions) >= 300
    for question in questions:
        got, want = loaded.search(question), fresh.search(question)
        assert (got.outcome, got.confidence) == (want.outcome, want.confidence), question
        assert [(h.entry.id, h.score, h.features) for h in got.hits] == [
            (h.entry.id, h.score, h.features) for h in want.hits
        ], question
    for entry in fresh.entries[::25]:
        assert loaded.related(entry) == fresh.related(entry)
        assert loaded.by_topic(entry.topic) == fresh.by_topic(entry.topic)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_the_saved_index_holds_plain_arrays_and_no_ranker_weights(
    tmp_path: Path, fresh: KnowledgeIndex
) -> None:
    path = tmp_path / "index.npz"
    write_index(fresh, path, "k")
    with np.load(path, allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    assert all(a.dtype != object for a in arrays.values())
    # The weights are applied at query time: another model ranks the same saved arrays.
    flat = RankerModel((1.0,) * len(FEATURES), fresh.model.calibration, 0.9, 0.5)
    reranked = KnowledgeIndex.from_arrays(arrays, analyzer=fresh.analyzer, model=flat)
    for hit in reranked.candidates("健康证多久办一次")[:5]:
        assert hit.score == round(sum(hit.features), 4)


def test_a_missing_index_is_rebuilt_once_with_one_log_line_then_cached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, builds: list[KnowledgeIndex]
) -> None:
    cache = tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger="knowledge.store"):
        first = load_index(packaged=tmp_path / "absent.npz", cache=cache)
    assert len(builds) == 1
    [record] = caplog.records
    assert "missing" in record.getMessage()
    assert "python -m bot kb build" in record.getMessage()
    [cached] = cache.glob("index-*.npz")
    assert read_key(cached) == data_key()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="knowledge.store"):
        second = load_index(packaged=tmp_path / "absent.npz", cache=cache)
    assert (len(builds), caplog.records) == (1, [])  # the next start loads the cached file
    assert second.entries == first.entries


def test_a_stale_index_is_rebuilt_and_the_shipped_file_left_alone(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    fresh: KnowledgeIndex,
    builds: list[KnowledgeIndex],
) -> None:
    shipped = tmp_path / "index.npz"
    write_index(fresh, shipped, "0" * 64)
    before = shipped.read_bytes()
    with caplog.at_level(logging.WARNING, logger="knowledge.store"):
        load_index(packaged=shipped, cache=tmp_path / "cache")
    assert len(builds) == 1
    assert "built from other knowledge files" in caplog.records[0].getMessage()
    assert shipped.read_bytes() == before
    assert read_key(shipped) == "0" * 64


def test_an_unreadable_cache_file_is_rebuilt(tmp_path: Path, builds: list[KnowledgeIndex]) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"index-{data_key()[:16]}.npz").write_bytes(b"not a zip file")
    load_index(packaged=tmp_path / "absent.npz", cache=cache)
    assert len(builds) == 1
    assert read_key(cache / f"index-{data_key()[:16]}.npz") == data_key()


def test_the_key_follows_the_indexed_files_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("__pycache__"))
    key = data_key(data)
    assert key == data_key(DATA_DIR)
    for unindexed in ("ranker.yaml", "README.md"):
        (data / unindexed).write_text((data / unindexed).read_text("utf-8") + "\n# x\n", "utf-8")
    quiz = next((data / "quiz").glob("*.yaml"))
    quiz.write_text(quiz.read_text("utf-8") + "\n# a new question\n", "utf-8")
    assert data_key(data) == key  # a refitted ranker or a quiz edit does not make it stale
    faq = next((data / "faq").glob("*.yaml"))
    faq.write_text(faq.read_text("utf-8") + "\n# a new paraphrase\n", "utf-8")
    assert data_key(data) != key
    faq.unlink()
    assert data_key(data) not in (key, data_key(DATA_DIR))


def test_an_index_saved_by_another_layout_counts_as_stale(
    tmp_path: Path, fresh: KnowledgeIndex, builds: list[KnowledgeIndex]
) -> None:
    # A member this code needs is missing: code that changed what it saves without bumping
    # INDEX_FORMAT still gets a rebuild (and `kb build` rewrites the file), never a crash.
    arrays = {k: v for k, v in fresh.to_arrays().items() if k != "lengths"}
    shipped = tmp_path / "index.npz"
    save_npz(shipped, {"key": text_array(data_key()), **arrays})
    reason = stale_reason(shipped, data_key()) or ""
    assert "lengths" in reason
    assert "saved by another version of the code" in reason
    assert read_index(shipped, data_key()) is None
    load_index(packaged=shipped, cache=tmp_path / "cache")
    assert len(builds) == 1
