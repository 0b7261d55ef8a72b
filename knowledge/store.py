"""The retrieval index, built once per knowledge-base version and loaded at start-up.

``python -m bot kb build`` writes ``knowledge/index.npz`` (shipped with the package). Its key is
a hash of INDEX_FORMAT, of every knowledge/data file the index is made from, of the library that
normalises text (OpenCC) and of the lexicon that segments it. Start-up computes the key of the
files at hand (a few milliseconds), loads the shipped index when the keys agree and otherwise
rebuilds, with one log line, keeping the result in the per-user cache
(knowledge.files.cache_dir) for the next start.

The ranker weights (data/ranker.yaml) are read at load time and applied at query time: they
are not part of the key, so a refitted ranker never makes the index stale.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.files import PACKAGE_DIR, array_text, cache_dir, prune, save_npz, text_array
from knowledge.vocab import DATA_DIR

if TYPE_CHECKING:
    from knowledge.search import KnowledgeIndex

__all__ = [
    "INDEX_FORMAT",
    "PACKAGED_INDEX",
    "build_index",
    "data_key",
    "load_index",
    "read_index",
    "read_key",
    "stale_reason",
    "write_index",
]

logger = logging.getLogger(__name__)

# Bump when the saved arrays or the way they are computed change (search.py, text.py,
# lexicon.py, wording.py; not facets.py: the entries' facets are read at load time).
INDEX_FORMAT = 3
PACKAGED_INDEX = PACKAGE_DIR / "index.npz"
# Data files the index does not read: the quiz bank, holiday tips, 日管控 checklists, the docs,
# and the ranker model (applied at query time).
_NOT_INDEXED = ("quiz/", "tips/", "checklists/", "README.md", "ranker.yaml")


def _indexed_files(data_dir: Path) -> list[Path]:
    files = []
    for path in sorted(data_dir.rglob("*")):
        name = path.relative_to(data_dir).as_posix()
        if path.is_file() and not name.startswith(_NOT_INDEXED) and "__pycache__" not in name:
            files.append(path)
    return files


def data_key(data_dir: Path = DATA_DIR) -> str:
    """The key of an index built from these files with this code."""
    import opencc

    from knowledge.lexicon import load_lexicon

    digest = hashlib.sha256(f"index-format {INDEX_FORMAT}\n".encode())
    digest.update(f"opencc {opencc.__version__}\n{load_lexicon().source}\n".encode())
    for path in _indexed_files(data_dir):
        content = path.read_bytes()
        name = path.relative_to(data_dir).as_posix()
        digest.update(f"{name} {len(content)}\n".encode())
        digest.update(content)
    return digest.hexdigest()


def read_key(path: Path) -> str | None:
    """The key an index file was built for; None when it is missing or unreadable."""
    try:
        with np.load(path) as saved:
            return array_text(saved["key"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def stale_reason(path: Path, key: str) -> str | None:
    """Why the index file cannot be used for this key (None: it loads and can)."""
    return _open(path, key)[1]


def read_index(path: Path, key: str) -> KnowledgeIndex | None:
    """The index saved at path for this key; None when missing, stale or unreadable."""
    return _open(path, key)[0]


def _open(path: Path, key: str) -> tuple[KnowledgeIndex | None, str | None]:
    from knowledge.search import KnowledgeIndex

    if not path.is_file():
        return None, f"{path} is missing"
    try:
        with np.load(path) as saved:
            found = array_text(saved["key"])
            if found != key:
                return None, (
                    f"{path} was built from other knowledge files (key {found[:12]}, "
                    f"now {key[:12]})"
                )
            # Member by member: each array is read when needed, not all of them at once.
            return KnowledgeIndex.from_arrays(saved), None
    except KeyError as exc:  # a member another version of the code did not save
        return None, (
            f"{path} lacks an array this code reads ({exc.args[0]}): "
            "it was saved by another version of the code"
        )
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        return None, f"{path} is unreadable ({exc})"


def build_index() -> KnowledgeIndex:
    """A fresh index over knowledge/data (validates the files: DataError names file:line)."""
    from knowledge.loader import load_entries
    from knowledge.search import KnowledgeIndex

    return KnowledgeIndex(load_entries())


def write_index(index: KnowledgeIndex, path: Path, key: str) -> None:
    """Save the index under its key."""
    save_npz(path, {"key": text_array(key), **index.to_arrays()})


def load_index(*, packaged: Path = PACKAGED_INDEX, cache: Path | None = None) -> KnowledgeIndex:
    """The shipped index, else the cached one, else a fresh build (logged, then cached)."""
    key = data_key()
    index, reason = _open(packaged, key)
    if index is not None:
        return index
    folder = cache if cache is not None else cache_dir()
    cached = folder / f"index-{key[:16]}.npz"
    index = read_index(cached, key)
    if index is not None:
        return index
    started = time.perf_counter()
    logger.warning(
        "Knowledge index out of date (%s): rebuilding into %s; "
        "run `python -m bot kb build` to ship a fresh one",
        reason,
        cached,
    )
    index = build_index()
    try:
        write_index(index, cached, key)
        prune(folder, "index-*.npz")
    except OSError as exc:  # a read-only home: still answer, just rebuild next time
        logger.warning("Could not cache the knowledge index in %s: %s", folder, exc)
    logger.debug("Knowledge index rebuilt in %.1f s", time.perf_counter() - started)
    return index
