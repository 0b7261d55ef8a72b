"""Real `python -m bot run` processes against the emulator served over HTTP (tests, benches)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO

from bot.sandbox.clock import RealClock
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.http import serve
from bot.sandbox.limits import Limits

__all__ = ["ROOT", "TOKEN", "Sandbox", "serving", "stop", "wait_for"]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:" + "A" * 35
ADMIN = 700001


class Sandbox:
    """The emulator served over HTTP, plus helpers to start bot processes against it."""

    def __init__(self, emu: BotApiEmulator, port: int, db_url: str, *, root: Path = ROOT) -> None:
        self.emu = emu
        self.port = port
        self.db_url = db_url
        self.root = root  # the checkout whose bot runs (a bench may compare two)
        self.processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a bot process: this sandbox, this database, one admin."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "WEBHOOK"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{self.port}/bot",
            DATABASE_URL=self.db_url,
            ADMIN_USER_IDS=str(ADMIN),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def start_bot(
        self, *args: str, log: Path | None = None, **extra: str
    ) -> subprocess.Popen[bytes]:
        """Start `python -m bot run ARGS`; its output goes to log (appended) or a pipe."""
        out: IO[bytes] | int = subprocess.PIPE
        if log is not None:
            out = log.open("ab")
            self._logs.append(out)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *args],
            cwd=self.root,
            env=self.env(**extra),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def close(self) -> None:
        """Kill what still runs and reap every process."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)  # reaps it and closes its pipe
        for log in self._logs:
            log.close()


@contextlib.asynccontextmanager
async def serving(db_url: str, *, root: Path = ROOT) -> AsyncIterator[Sandbox]:
    """The emulator over HTTP (Telegram's limits, private bursts of 20); workers killed after."""
    emu = BotApiEmulator(TOKEN, clock=RealClock(), limits=Limits(private_burst=20))
    server, port = await serve(emu)
    box = Sandbox(emu, port, db_url, root=root)
    try:
        yield box
    finally:
        box.close()
        server.stop()
        await emu.aclose()


async def wait_for(predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Poll predicate until it holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the bot")


async def stop(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """SIGTERM and wait; (exit code, output when it went to a pipe)."""
    process.send_signal(signal.SIGTERM)
    out, _ = await asyncio.to_thread(process.communicate, None, 30)
    return process.returncode, (out or b"").decode()
