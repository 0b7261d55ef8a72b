"""The fault scenarios of bench/fault_scenarios (start-up race, timed-out sends, outage sweeps)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

CONTRACT = {"sent", "answered", "lost", "duplicated"}


def scenario(name: str) -> ModuleType:
    return importlib.import_module(f"bench.fault_scenarios.{name}")


@pytest.mark.postgres
def test_workers_started_together_on_empty_postgresql_all_start(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = scenario("workers_started_together")
    monkeypatch.setattr(module, "TRIALS", 3)  # bench/faults.py runs the full 7
    figures = module.run(tmp_path)
    assert set(figures) >= CONTRACT
    assert figures == {
        "sent": 3,
        "answered": 3,
        "lost": 0,
        "duplicated": 0,
        "launched": 6,
        "started": 6,
        "postgres": 1,
    }


def test_timed_out_sends_are_never_duplicated(tmp_path: Path) -> None:
    figures = scenario("timed_out_send").run(tmp_path)
    assert figures == {
        "sent": 11,
        "answered": 11,
        "lost": 0,
        "duplicated": 0,
        "uncertain": 10,
        "apologies": 0,
    }


def test_the_sweep_does_an_overdue_exam_and_push_after_an_outage(tmp_path: Path) -> None:
    figures = scenario("overdue_after_outage").run(tmp_path)
    assert figures == {
        "sent": 2,
        "answered": 2,
        "lost": 0,
        "duplicated": 0,
        "exam_notices": 1,
        "tip_copies": 3,
    }
