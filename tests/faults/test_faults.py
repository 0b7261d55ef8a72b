"""The fault suite's scenarios (bench/fault_scenarios/) run as tests on real workers.

A SIGKILL can land while a reply is on its way: Telegram may or may not have it, and nothing
can tell. Such an update is counted as uncertain and run again, so it may be answered twice:
duplicates never exceed that count, and nothing is lost.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def scenario(module: str) -> Callable[[Path], dict[str, int]]:
    """The run() of bench/fault_scenarios/<module>.py."""
    run: Callable[[Path], dict[str, int]] = importlib.import_module(
        f"bench.fault_scenarios.{module}"
    ).run
    return run


@pytest.mark.parametrize("module", ["polling_sigkill", "webhook_sigkill"])
def test_a_worker_killed_mid_traffic_loses_nothing(tmp_path: Path, module: str) -> None:
    result = scenario(module)(tmp_path)
    assert result["sent"] == result["answered"] == 300
    assert result["lost"] == 0
    assert result["duplicated"] <= result["uncertain"]


def test_two_webhook_workers_share_the_inbox_and_one_takes_over_the_dead(
    tmp_path: Path, pg_url: str
) -> None:
    result = scenario("webhook_pair_sigkill")(tmp_path)
    assert result["sent"] == result["answered"] == 300
    assert result["lost"] == 0
    assert result["duplicated"] <= result["uncertain"]
    assert result["taken_over"] >= 1


def test_questions_asked_while_postgres_is_down_are_answered_after(
    tmp_path: Path, pg_url: str
) -> None:
    result = scenario("postgres_down")(tmp_path)
    assert result == {
        "sent": 40,
        "answered": 40,
        "lost": 0,
        "duplicated": 0,
        "uncertain": 0,
        "told_late": 40,
        "apologised": 0,
    }
