"""The console beside the offline chat: served in the chat's process on the embedded database,
with a sign-in link printed at start so a newcomer can open 监管工作台 at once.

Without ADMIN_USER_IDS nobody could sign in, so the offline chat (and only it: nothing is
stored) treats a sandbox id as an admin; `/as` that id in the chat shows the staff commands.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvicorn
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.console.app import create_app
from bot.console.auth import create_link, link_url
from bot.console.web import ConsoleState
from bot.db import session_scope
from bot.models import utcnow
from bot.render import render
from bot.users import Roles

__all__ = ["SANDBOX_ADMIN", "OfflineConsole", "offline_settings", "start_offline_console"]

SANDBOX_ADMIN = 10000
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def offline_settings(settings: Settings) -> Settings:
    """The chat's settings: a sandbox admin when none is configured."""
    if settings.admin_user_ids:
        return settings
    return settings.model_copy(update={"admin_user_ids": [SANDBOX_ADMIN]})


@dataclass
class OfflineConsole:
    """A running console and the sign-in link for the chat's first admin."""

    server: uvicorn.Server
    task: asyncio.Task[None]
    sock: socket.socket
    url: str
    admin_id: int

    def banner(self) -> str:
        """What the chat prints at start: the link on its own line."""
        return render("console_offline", reason="started", url=self.url, admin_id=self.admin_id)

    async def stop(self) -> None:
        """Shut the server down (the chat is ending)."""
        self.server.should_exit = True
        await self.task
        self.sock.close()


async def start_offline_console(settings: Settings, engine: Engine) -> OfflineConsole | str:
    """Serve the console at CONSOLE_URL (a local address) on this engine, or say why not."""
    parts = urlsplit(settings.console_url)
    host, port = parts.hostname or "", parts.port or 80
    if host not in LOCAL_HOSTS or not settings.admin_user_ids:
        return render("console_offline", reason="remote", url=settings.console_url)
    sock = socket.socket()
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        return render("console_offline", reason="busy", where=f"{host}:{port}")
    admin = settings.admin_user_ids[0]
    roles = Roles(frozenset(settings.admin_user_ids), frozenset(settings.inspector_user_ids))
    app = create_app(settings, state=ConsoleState(settings=settings, engine=engine, roles=roles))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():  # readiness: uvicorn sets it once listening
        await asyncio.sleep(0.01)
    if task.done():
        sock.close()
        return render("console_offline", reason="failed", error=repr(task.exception()))
    with session_scope(engine) as session:
        token = create_link(session, user_id=admin, now=utcnow())
    return OfflineConsole(server, task, sock, link_url(settings.console_url, token), admin)
