"""Settings from the environment or `.env`; the names are fixed by DESIGN.md."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_API_BASE_URL", "Settings", "SettingsError"]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d{5,16}:[A-Za-z0-9_-]{30,}$")
_PLACEHOLDERS = {"", "changeme", "change-me", "your-token", "your_token_here", "token", "xxx"}


class SettingsError(ValueError):
    """A setting is missing or unusable; the message says which and what to do."""


def _parse_ids(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple | set):
        return [int(v) for v in value]
    ids: list[int] = []
    for part in str(value).replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ValueError(f"不是数字 ID：{part!r}（应为逗号分隔的 Telegram 用户 ID）")
        ids.append(int(part))
    return ids


IdList = Annotated[list[int], NoDecode]


class Settings(BaseSettings):
    """Every setting of the bot; build it in main() and pass it down."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    database_url: str = "sqlite:///data/shian.db"
    admin_user_ids: IdList = Field(default_factory=list)
    inspector_user_ids: IdList = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_port: int = 8443
    webhook_listen: str = "0.0.0.0"
    # The console's public base address: sign-in links and public pages are built from it.
    console_url: str = "http://127.0.0.1:8080"
    # The bot's @username without @: the console builds exam links (t.me/<name>?start=...) with it.
    telegram_bot_username: str | None = None
    # Telegram's overall flood limit (~30 messages/s); raise it only for a scaled test server.
    telegram_flood_limit: float = Field(default=30.0, gt=0)
    broadcast_rate: float = Field(default=25.0, gt=0)
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    # Admins hear about questions left for staff in one message per this many minutes at most.
    pending_digest_minutes: int = Field(default=30, ge=1, le=24 * 60)
    tip_days_before: int = Field(default=3, ge=0, le=30)
    tip_push_time: time = time(10, 0)
    exam_code_hours: int = Field(default=24, ge=1, le=24 * 14)
    exam_minutes: int = Field(default=30, ge=5, le=240)
    exam_pass_mark: int = Field(default=80, ge=1, le=100)
    log_level: str = "INFO"
    # A file that keeps every log line with its full traceback (the terminal shows them only
    # with `run --debug`).
    log_file: str | None = None

    @field_validator("admin_user_ids", "inspector_user_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> list[int]:
        return _parse_ids(value)

    @model_validator(mode="after")
    def _rate_below_limit(self) -> Settings:
        if self.broadcast_rate >= self.telegram_flood_limit:
            raise ValueError(
                f"BROADCAST_RATE（{self.broadcast_rate}）必须低于 Telegram 的限速"
                f"（{self.telegram_flood_limit} 条/秒），否则会被限流"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"未知时区：{value}（例如 Asia/Shanghai）") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The display and scheduling time zone."""
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        """Return the bot token, or raise SettingsError saying how to get one."""
        token = (
            self.telegram_bot_token.get_secret_value().strip() if self.telegram_bot_token else ""
        )
        if token.lower() in _PLACEHOLDERS or "your" in token.lower():
            raise SettingsError(
                "没有设置 TELEGRAM_BOT_TOKEN。请在 Telegram 中找 @BotFather 发送 /newbot "
                "获取令牌，写入 .env 文件（TELEGRAM_BOT_TOKEN=...）；"
                "不用令牌也可运行 `python -m bot chat` 离线试用。"
            )
        if not _TOKEN_RE.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN 的格式不对：应形如 123456789:AA..."
                "（@BotFather 给出的完整令牌）。"
            )
        return token

    def require_webhook(self) -> tuple[str, str]:
        """Return (url, secret) for webhook mode, or raise SettingsError."""
        if not self.webhook_url:
            raise SettingsError(
                "webhook 模式需要设置 WEBHOOK_URL（Telegram 可访问的 https 地址）。"
            )
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,256}", secret):
            raise SettingsError(
                "webhook 模式需要设置 WEBHOOK_SECRET：8-256 个字母、数字、下划线或连字符。"
            )
        return self.webhook_url, secret

    def secrets(self) -> list[str]:
        """What logs must never show: the token, the webhook secret, the database password."""
        found = [
            value.get_secret_value().strip()
            for value in (self.telegram_bot_token, self.webhook_secret)
            if value is not None
        ]
        password = urlsplit(self.database_url).password
        return [s for s in [*found, password or ""] if len(s) >= 4]

    def is_admin(self, user_id: int) -> bool:
        """True for the administrators listed in ADMIN_USER_IDS."""
        return user_id in self.admin_user_ids
