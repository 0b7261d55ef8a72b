"""Start-up: the tips are loaded and validated when the application is built."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import OFFLINE_TOKEN, build_application
from bot.config import Settings
from bot.sandbox.driver import Driver
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.request import SandboxRequest
from knowledge.tips import OCCASION_KEYS, load_tips
from knowledge.vocab import DATA_DIR
from knowledge.yamlfile import DataError


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of knowledge/data/tips that the application loads instead of the real one."""
    shutil.copytree(DATA_DIR / "tips", tmp_path / "tips")
    monkeypatch.setattr("knowledge.tips.DATA_DIR", tmp_path)
    return tmp_path / "tips"


def offline() -> SandboxRequest:
    return SandboxRequest(BotApiEmulator(OFFLINE_TOKEN, validate=False))


def break_file(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_build_application_loads_every_tip(settings: Settings, engine: Engine) -> None:
    app = build_application(settings, engine=engine, request=offline())
    assert set(app.bot_data.tips) == set(OCCASION_KEYS)
    tip = app.bot_data.tips["mid_autumn"]
    assert tip.file == "mid_autumn.yaml"


def test_a_broken_tip_template_stops_start_up_naming_the_file(
    settings: Settings, engine: Engine, data_copy: Path
) -> None:
    break_file(data_copy / "mid_autumn.yaml", "{{ year }}", "{{ year }")
    with pytest.raises(DataError) as failure:
        build_application(settings, engine=engine, request=offline())
    [problem] = failure.value.problems
    assert problem.startswith(f"{data_copy / 'mid_autumn.yaml'}:")
    assert "模板错误" in problem


async def test_the_bot_does_not_start_with_a_broken_tip(
    settings: Settings, engine: Engine, data_copy: Path
) -> None:
    break_file(data_copy / "national_day.yaml", "{{ year }}", "{{ yera }}")
    break_file(data_copy / "lantern.yaml", "occasion: lantern", "occasion: lantern_festival")
    driver = Driver(settings, engine=engine)
    with pytest.raises(DataError) as failure:
        await driver.start()
    message = str(failure.value)
    assert "lantern.yaml:1: occasion 'lantern_festival' 应为 lantern" in message
    assert "national_day.yaml:1: 模板错误：'yera' is undefined" in message
    assert len(failure.value.problems) == 2


def test_load_tips_from_a_folder(data_copy: Path) -> None:
    (data_copy / "qingming.yaml").unlink()
    tips = load_tips(data_copy)
    assert set(tips) == set(OCCASION_KEYS) - {"qingming"}
    assert set(load_tips()) == set(tips)  # the default folder is the patched one
