"""One poller: the lease a long-polling process holds, and `run` refusing a second poller."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.db import make_engine
from bot.lease import POLLING, Held, acquire, holder_is_dead, release, renew
from bot.schema import upgrade

T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
TTL = timedelta(seconds=60)


def test_a_held_lease_is_refused_then_taken_over_when_stale(engine: Engine) -> None:
    assert acquire(engine, POLLING, "a", now=T0, ttl=TTL) is None
    assert acquire(engine, POLLING, "b", now=T0 + timedelta(seconds=30), ttl=TTL) == Held(
        "a", T0 + TTL
    )
    assert renew(engine, POLLING, "a", now=T0 + timedelta(seconds=45), ttl=TTL)
    assert acquire(engine, POLLING, "b", now=T0 + timedelta(seconds=90), ttl=TTL) is not None
    # "a" stopped renewing: a minute later the lease is stale and "b" takes over
    assert acquire(engine, POLLING, "b", now=T0 + timedelta(seconds=106), ttl=TTL) is None
    assert not renew(engine, POLLING, "a", now=T0 + timedelta(seconds=107), ttl=TTL)


def test_a_released_lease_is_free_at_once(engine: Engine) -> None:
    assert acquire(engine, POLLING, "a", now=T0, ttl=TTL) is None
    assert acquire(engine, POLLING, "a", now=T0, ttl=TTL) is None  # ours: renewed
    release(engine, POLLING, "a")
    assert acquire(engine, POLLING, "b", now=T0 + timedelta(seconds=1), ttl=TTL) is None


def test_a_second_polling_run_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    assert acquire(engine, POLLING, "server-1:4242:abc", now=now, ttl=TTL) is None
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "已有另一个 python -m bot run 正在用长轮询" in err
    assert "server-1:4242:abc" in err
    assert "python -m bot run --webhook" in err


def test_a_lease_of_a_dead_process_on_this_machine_is_taken_over_at_once(engine: Engine) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = f"{socket.gethostname()}:{dead.pid}:abc"
    assert holder_is_dead(holder)
    assert not holder_is_dead(f"{socket.gethostname()}:{os.getpid()}:abc")
    assert not holder_is_dead(f"another-host:{dead.pid}:abc")
    assert acquire(engine, POLLING, holder, now=T0, ttl=TTL) is None
    assert acquire(engine, POLLING, "me", now=T0 + timedelta(seconds=1), ttl=TTL) is None
