"""A held SQLite write lock delays only what needs it: questions keep being answered."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _scenario() -> ModuleType:
    path = ROOT / "bench" / "fault_scenarios" / "sqlite_lock.py"
    spec = importlib.util.spec_from_file_location("sqlite_lock", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_questions_flow_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    scenario = _scenario()
    figures = scenario.run(tmp_path)
    assert scenario.NAME == "sqlite_lock"
    assert (figures["lost"], figures["duplicated"]) == (0, 0)
    assert figures["answered"] == figures["sent"]
    # Frozen, each user would get about one question in while the lock is held; flowing, one
    # every ASK_EVERY seconds (at least half of them on a busy machine).
    rounds = int(scenario.HOLD_SECONDS / scenario.ASK_EVERY) - 1
    assert figures["sent"] >= scenario.USERS * rounds // 2
    # The questions' log rows were deferred, not dropped: all written once the lock ended.
    assert figures["logged"] == figures["sent"]
