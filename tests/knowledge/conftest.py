"""Fixtures for the knowledge tests: the legal corpus, the shared index, a scratch data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import default_index
from knowledge.search import KnowledgeIndex

ROOT = Path(__file__).resolve().parents[2]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The verbatim statutes in ../shared/corpus (CI has them); skip when they are absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"legal corpus not found at {CORPUS}: it lives in ../shared/corpus")
    return CORPUS


@pytest.fixture(scope="session")
def index() -> KnowledgeIndex:
    """The process-wide index over knowledge/data (building it takes about a second)."""
    return default_index()


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, so problems read "faq/a.yaml:3: …" as an editor sees them."""
    monkeypatch.chdir(tmp_path)
    return Path()
