"""PostgreSQL unreachable for a while: questions asked meanwhile are answered after recovery.

We cannot stop the shared server, so the worker reaches it through a TCP proxy in this
process, which is cut (listener closed, connections dropped) and later restored. The outage
lasts until every asker has been told "稍后回复" (20 s of waiting; at most 45 s), then the
proxy comes back.
Needs FAULTS_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server); a database of its own is
made there and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.fault_scenarios._support import (
    figures,
    postgres_url,
    running_sandbox,
    scratch_database,
    send_all,
    settle,
    start_ready,
    with_uncertain,
)
from bot.render import render
from bot.sandbox.workers import Sandbox, wait_for

NAME = "postgres-down"
USERS = range(70001, 70041)
QUESTION = "健康证多久办一次"
OUTAGE = 45.0


class Proxy:
    """A TCP relay to host:port that can be cut and restored on the same local port."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[None]] = set()
        self.port = 0

    async def open(self) -> None:
        """Listen (again) on 127.0.0.1; the first time on any free port."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones, like a server that went away."""
        if self._server is None or not self._server.is_serving():
            return
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await asyncio.gather(*self._relays, return_exceptions=True)  # they end on the aborts
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._copy(reader, up_writer), self._copy(up_reader, writer), return_exceptions=True
        )
        self._writers.difference_update((writer, up_writer))

    @staticmethod
    async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.transport.abort()


@contextlib.asynccontextmanager
async def proxied(url: str) -> AsyncIterator[tuple[Proxy, str]]:
    """The proxy to url's server and url rewritten to go through it."""
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.open()
    through = parsed.set(host="127.0.0.1", port=proxy.port)
    try:
        yield proxy, through.render_as_string(hide_password=False)
    finally:
        await proxy.cut()


def told_late(box: Sandbox, users: list[int]) -> int:
    """How many users got the late notice."""
    late = render("late_notice")
    return sum(any(m.text == late for m in box.emu.messages(uid)) for uid in users)


def apologised(box: Sandbox, users: list[int]) -> int:
    """How many users got the apology."""
    sorry = render("error")
    return sum(any(m.text == sorry for m in box.emu.messages(uid)) for uid in users)


async def _scenario(workdir: Path, url: str) -> dict[str, int]:
    with scratch_database(url) as database:
        async with proxied(database) as (proxy, through), running_sandbox(through) as box:
            await start_ready(box, workdir / "worker.log")
            await proxy.cut()
            users = send_all(box, USERS, QUESTION)
            # The outage ends when every asker was told 稍后回复, or after OUTAGE at most (a bot
            # that never tells, such as one without the inbox, is measured that way).
            with contextlib.suppress(AssertionError):
                await wait_for(lambda: told_late(box, users) == len(users), timeout=OUTAGE)
            await proxy.open()
            # This process reads the database directly: the proxy runs on its event loop.
            await settle(box, users, db_url=database)
            result = with_uncertain(box, figures(box, users), database)
            result["told_late"] = told_late(box, users)
            result["apologised"] = apologised(box, users)
            return result


def run(workdir: Path) -> dict[str, int]:
    """Cut the database, ask, restore, count."""
    return asyncio.run(_scenario(workdir, postgres_url()))
