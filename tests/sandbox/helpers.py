"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

from telegram.ext import Application

AnyApp = Application[Any, Any, Any, Any, Any, Any]


async def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll condition every 10 ms; fail the test if it is still false after timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
