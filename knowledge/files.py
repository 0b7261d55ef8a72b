"""Where built files live and how they are written: arrays in .npz, strings as UTF-8 arrays.

A built file (the retrieval index, the lexicon) ships in the package folder; a process that
finds it missing or stale builds a fresh one and keeps it in a per-user cache folder, never in
the package (an installed package may be read-only, and in a checkout the shipped file is
refreshed on purpose by ``python -m bot kb build``, not as a side effect of a test run).

Nothing here is a pickle: every member is a plain numeric array, strings and JSON documents
included (as UTF-8 bytes), so ``np.load(..., allow_pickle=False)`` reads them.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "PACKAGE_DIR",
    "array_json",
    "array_text",
    "cache_dir",
    "json_array",
    "prune",
    "save_npz",
    "text_array",
]

PACKAGE_DIR = Path(__file__).parent
_KEEP = 6  # cached files of other data versions kept per name (several checkouts share a cache)


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/shian-bot (default ~/.cache/shian-bot); the temp folder if unusable."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    folder = Path(base) / "shian-bot"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"shian-bot-{os.getuid()}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def text_array(text: str) -> np.ndarray:
    """A string as a uint8 array of its UTF-8 bytes."""
    return np.frombuffer(text.encode("utf-8"), np.uint8)


def array_text(array: np.ndarray) -> str:
    """The string text_array() stored (decoded from the array's own buffer, no copy)."""
    return str(array.data, "utf-8")


def json_array(value: Any) -> np.ndarray:
    """A JSON document as a uint8 array (floats keep their exact value: repr round-trips)."""
    return text_array(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def array_json(array: np.ndarray) -> Any:
    """The value json_array() stored."""
    return json.loads(array_text(array))


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (a reader never sees half a file), uncompressed so it loads fast."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, allow_pickle=False, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep a shipped file from other users
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def prune(folder: Path, pattern: str, keep: int = _KEEP) -> None:
    """Delete all but the `keep` most recently written files matching pattern."""
    try:
        found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in found[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
