"""The wiring: every feature's registration against features.yaml and the application."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from telegram.ext import CommandHandler

from bot.app import OFFLINE_TOKEN, build_application, registrations
from bot.config import Settings
from bot.features import load_features
from bot.render import configure_timezone, environment
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.request import SandboxRequest
from tests.conftest import make_settings

# /start, /help, /menu and /profile belong to no feature (handlers/start.py).
CORE_COMMANDS = {"start", "help", "menu", "profile"}


def test_each_features_yaml_section_lists_exactly_the_registered_commands() -> None:
    features = registrations()
    for section in load_features(frozenset(f.section for f in features)):
        registered = set().union(*(f.commands for f in features if f.section == section.key))
        assert {c.name for c in section.commands} == registered, section.key


def test_every_section_and_feature_is_wired_once() -> None:
    features = registrations()
    names = [f.name for f in features]
    assert len(names) == len(set(names))
    assert {f.section for f in features} == {f.key for f in load_features(frozenset(names))}


def test_the_application_answers_exactly_the_documented_commands(
    settings: Settings, engine: Engine
) -> None:
    request = SandboxRequest(BotApiEmulator(OFFLINE_TOKEN, validate=False))
    app = build_application(settings, engine=engine, request=request)
    answered = {
        command
        for group in app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    documented = {c.name for f in app.bot_data.features for c in f.commands}
    assert answered == documented | CORE_COMMANDS


def test_one_time_zone_drives_the_job_queue_and_the_dates_shown(engine: Engine) -> None:
    settings = make_settings(timezone="Asia/Urumqi")
    request = SandboxRequest(BotApiEmulator(OFFLINE_TOKEN, validate=False))
    try:
        app = build_application(settings, engine=engine, request=request)
        assert app.bot.defaults is not None
        assert app.bot.defaults.tzinfo == ZoneInfo("Asia/Urumqi")
        moment = datetime(2026, 2, 16, 16, 30, tzinfo=UTC)
        assert environment().from_string("{{ t|cn_date }}").render(t=moment).endswith("22:30")
    finally:
        configure_timezone("Asia/Shanghai")
