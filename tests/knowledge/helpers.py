"""Small helpers shared by the knowledge tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowledge.yamlfile import DataError


def write(path: Path, text: str) -> Path:
    """Write a UTF-8 file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(load: Callable[..., Any], *args: Any) -> list[str]:
    """The problems a loader reports; fails the test when it loads without complaint."""
    with pytest.raises(DataError) as caught:
        load(*args)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems
