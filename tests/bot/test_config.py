from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from bot.config import Settings, SettingsError

GOOD_TOKEN = "123456789:AAHk3exampleexampleexampleexample12"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_are_safe_and_local() -> None:
    s = settings()
    assert s.database_url == "sqlite:///data/shian.db"
    assert s.timezone == "Asia/Shanghai"
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.admin_user_ids == []
    assert s.broadcast_rate == 25
    assert (s.quiet_hours_start, s.quiet_hours_end) == (time(21), time(8))


@pytest.mark.parametrize("token", [None, "", "changeme", "your-token-here"], ids=str)
def test_missing_or_placeholder_token_is_refused_with_help(token: str | None) -> None:
    with pytest.raises(SettingsError, match="@BotFather"):
        settings(telegram_bot_token=token).require_token()


def test_malformed_token_is_refused() -> None:
    with pytest.raises(SettingsError, match="格式不对"):
        settings(telegram_bot_token="12345").require_token()


def test_token_is_a_secret() -> None:
    s = settings(telegram_bot_token=GOOD_TOKEN)
    assert s.require_token() == GOOD_TOKEN
    assert GOOD_TOKEN not in repr(s)
    assert GOOD_TOKEN not in str(s.model_dump())


def test_ids_from_the_environment_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "111, 222，333")
    monkeypatch.setenv("INSPECTOR_USER_IDS", "")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.admin_user_ids == [111, 222, 333]
    assert s.inspector_user_ids == []
    assert s.is_admin(222)
    assert not s.is_admin(444)


def test_non_numeric_id_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "111,alice")
    with pytest.raises(ValidationError, match="alice"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_unknown_timezone_is_an_error() -> None:
    with pytest.raises(ValidationError, match="未知时区"):
        settings(timezone="Mars/Olympus")


def test_broadcast_rate_stays_below_telegram_limit() -> None:
    with pytest.raises(ValidationError):
        settings(broadcast_rate=31)


def test_webhook_needs_url_and_a_valid_secret() -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        settings().require_webhook()
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        settings(webhook_url="https://example.org/hook", webhook_secret="short").require_webhook()
    ok = settings(webhook_url="https://example.org/hook", webhook_secret="s3cret_value")
    assert ok.require_webhook() == ("https://example.org/hook", "s3cret_value")


def test_env_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("ADMIN_USER_IDS=5,6\nTIMEZONE=Asia/Shanghai\nTIP_DAYS_BEFORE=2\n", "utf-8")
    s = Settings(_env_file=env)  # type: ignore[call-arg]
    assert s.admin_user_ids == [5, 6]
    assert s.tip_days_before == 2
