"""Clocks: the emulator reads time through a callable so tests can move it."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


class ManualClock:
    """A clock that only moves when a test advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move time forward and return the new reading."""
        self.now += seconds
        return self.now


class RealClock:
    """Real monotonic time plus whatever a test skipped with advance().

    For running the real bot: its own pacing sleeps in real time, so the flood limits must see
    real time pass, while a test can still jump past a deadline (callback expiry, poll close).
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> float:
        """Skip time forward and return the new reading."""
        self.offset += seconds
        return self()
