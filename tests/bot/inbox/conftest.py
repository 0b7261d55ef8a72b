"""The inbox's tests share a database file: its threads and the handlers each connect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.db import create_tables, make_engine


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    create_tables(engine)
    yield engine
    engine.dispose()
