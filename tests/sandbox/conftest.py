"""Fixtures for the sandbox's own tests: an emulator on a manual clock and bare PTB apps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram.ext import ApplicationBuilder

from bot.sandbox import BotApiEmulator, ManualClock, SandboxRequest, load_spec
from bot.sandbox.spec import ApiSpec, default_spec_path
from tests.sandbox.helpers import AnyApp

TOKEN = "123456:TEST"


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # Building RetryAfter reads retry_after, which warns (an error under -W error) unless PTB is
    # told to use timedelta values, as it will by default in its next major version.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def clock() -> ManualClock:
    """Time that moves only when a test says so."""
    return ManualClock()


@pytest.fixture
async def emu(clock: ManualClock) -> AsyncIterator[BotApiEmulator]:
    """A fresh emulator; the test fails if any call broke the spec or crashed the emulator."""
    emulator = BotApiEmulator(TOKEN, clock=clock)
    yield emulator
    await emulator.aclose()
    emulator.assert_clean()


@pytest.fixture
def spec() -> ApiSpec:
    """The Bot API spec; skip when it is absent (under CI, load_spec fails instead)."""
    loaded = load_spec()
    if loaded is None:
        pytest.skip(f"Bot API spec not found at {default_spec_path()}")
    return loaded


@pytest.fixture
def make_app(emu: BotApiEmulator) -> Callable[..., AnyApp]:
    """Build a bare PTB Application wired to the emulator in-process."""

    def build(**options: Any) -> AnyApp:
        builder = (
            ApplicationBuilder()
            .token(options.pop("token", TOKEN))
            .request(SandboxRequest(emu))
            .get_updates_request(SandboxRequest(emu))
        )
        if "defaults" in options:
            builder = builder.defaults(options.pop("defaults"))
        return builder.build()

    return build


@pytest.fixture
async def app(make_app: Callable[..., AnyApp]) -> AsyncIterator[AnyApp]:
    """An initialized bare Application (no handlers)."""
    application = make_app()
    async with application:
        yield application
