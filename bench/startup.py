"""Launch-to-first-answer wall time and peak RSS of the bot's commands (median of N runs).

    python bench/startup.py [--runs 5] [--only ask,chat,run] [--question 健康证多久办一次]

- ask:  `python -m bot ask QUESTION` from launch until the process has printed its answer
        and exited;
- chat: `python -m bot chat` from launch until the greeting (the reply to /start) is printed;
        stdin is then closed and the client exits;
- run:  `python -m bot run` (long polling) against `python -m bot sandbox serve` over HTTP, from
        launch until the reply to a /start sent as a sandbox user right at launch is in the chat;
        the bot is then stopped with SIGTERM. Like a restart after a deploy, every launch finds
        a database already at the latest schema (one temporary SQLite file, brought there by
        `python -m bot db upgrade` before the first launch, outside the timing).

ask and chat get a fresh temporary SQLite database each. Peak RSS is the process's own
high-water mark (ru_maxrss from wait4) over its whole life. Readiness is waited on (the
sandbox's banner, the greeting on stdout, the reply in the chat), never slept for.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:" + "S" * 35
GREETING = "您好！我是食安助手"
TIMEOUT = 120.0


@dataclass(frozen=True)
class Sample:
    """One launch: seconds to the first answer and peak resident memory in MB."""

    seconds: float
    peak_mb: float


def _env(database: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM", "WEBHOOK")) and k != "DATABASE_URL"
    }
    env.update(DATABASE_URL=f"sqlite:///{database}", PYTHONUNBUFFERED="1", **extra)
    return env


def _reap(process: subprocess.Popen[bytes]) -> float:
    """Wait for the process; its peak RSS in MB (Linux reports ru_maxrss in KB)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


def _read_until(process: subprocess.Popen[bytes], needle: bytes) -> bytes:
    """Read the process's stdout until needle appears (or fail on exit / timeout)."""
    assert process.stdout is not None
    seen = b""
    fd = process.stdout.fileno()
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while needle not in seen:
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {needle!r}; got {seen[-500:]!r}")
            if not sel.select(timeout=1.0):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise SystemExit(f"process exited before {needle!r}; got {seen[-2000:]!r}")
            seen += chunk
    return seen


def measure_ask(question: str, workdir: Path) -> Sample:
    """`ask QUESTION` from launch to exit (it has printed its answer by then)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", question],
        cwd=ROOT,
        env=_env(workdir / "ask.db"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = process.stdout, process.stderr
    assert out is not None and err is not None
    text = out.read()
    peak = _reap(process)
    seconds = time.perf_counter() - started
    if process.returncode != 0 or "答：".encode() not in text:
        raise SystemExit(f"ask failed ({process.returncode}): {text!r} {err.read()!r}")
    out.close()
    err.close()
    return Sample(seconds, peak)


def measure_chat(workdir: Path) -> Sample:
    """`chat` from launch until the greeting is printed."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        cwd=workdir,
        env=_env(workdir / "chat.db", PYTHONPATH=str(ROOT)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    _read_until(process, GREETING.encode())
    seconds = time.perf_counter() - started
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()  # end of input: the client says goodbye and exits
    process.stdout.read()
    process.stdout.close()
    peak = _reap(process)
    return Sample(seconds, peak)


class SandboxServer:
    """`python -m bot sandbox serve` on a free port, ready once it has printed its banner."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "sandbox", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=_env(Path(tempfile.gettempdir()) / "unused.db"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        _read_until(self.process, b"Bot API sandbox")
        self.base = f"http://127.0.0.1:{self.port}"

    def call(self, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, object] = json.loads(response.read())
        return result

    def close(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.005)  # polling the sandbox's state, not waiting for the bot to be ready


def upgraded_database(workdir: Path) -> Path:
    """A SQLite file at the latest schema, as a deployed bot's database is at a restart."""
    database = workdir / "run.db"
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=ROOT,
        env=_env(database),
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return database


def measure_run(sandbox: SandboxServer, user_id: int, database: Path) -> Sample:
    """`run` from launch until its reply to /start (sent at launch) is in the chat."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=_env(
            database,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=f"{sandbox.base}/bot",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sandbox.call(f"/sandbox/users/{user_id}/send", {"text": "/start"})

    def replied() -> bool:
        if process.poll() is not None:
            raise SystemExit(f"bot run exited early with {process.returncode}")
        messages = sandbox.call(f"/sandbox/chats/{user_id}/messages")["messages"]
        return bool(messages)

    _wait_for(replied, "the reply to /start")
    seconds = time.perf_counter() - started
    process.send_signal(signal.SIGTERM)
    peak = _reap(process)
    return Sample(seconds, peak)


def _summary(name: str, samples: list[Sample]) -> str:
    secs = [s.seconds for s in samples]
    mbs = [s.peak_mb for s in samples]
    return (
        f"{name:<5} first answer {statistics.median(secs):6.2f} s "
        f"(min {min(secs):.2f}, max {max(secs):.2f})   "
        f"peak RSS {statistics.median(mbs):6.1f} MB (max {max(mbs):.1f})   n={len(samples)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="ask,chat,run", help="comma-separated: ask,chat,run")
    parser.add_argument("--question", default="健康证多久办一次")
    args = parser.parse_args()
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs}")
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        workdir = Path(tmp)
        if "ask" in wanted:
            print(_summary("ask", [measure_ask(args.question, workdir) for _ in range(args.runs)]))
        if "chat" in wanted:
            print(_summary("chat", [measure_chat(workdir) for _ in range(args.runs)]))
        if "run" in wanted:
            database = upgraded_database(workdir)
            sandbox = SandboxServer()
            try:
                samples = [measure_run(sandbox, 90_001 + i, database) for i in range(args.runs)]
            finally:
                sandbox.close()
            print(_summary("run", samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
