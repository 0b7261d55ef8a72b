"""The running bot: the Application without PTB's Updater, fed from the durable inbox.

Polling: the lease holder's Fetcher fills the inbox. Webhook: a uvicorn server answers
Telegram (and serves the console on the same port). Either way this worker's Consumer
processes the inbox; SIGINT/SIGTERM stop the intake first, then let the updates in flight end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from telegram import Update

from bot.config import Settings
from bot.console.app import create_app as create_console
from bot.console.web import ConsoleState
from bot.inbox.consumer import Consumer
from bot.inbox.late import LateNotices
from bot.inbox.polling import Fetcher
from bot.inbox.webhook import webhook_route
from bot.kit import App
from scheduler.inbox import schedule_purge
from scheduler.poller import hold_polling_lease

__all__ = ["serve_polling", "serve_webhook"]

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def _running(app: App) -> AsyncIterator[None]:
    """Start and stop the Application in the order PTB's run_polling does."""
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        schedule_purge(app)
        try:
            yield
        finally:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _until(stop: asyncio.Event, *tasks: asyncio.Task[None]) -> None:
    """Wait for a signal, or for an intake task to end (its error is raised)."""
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done:
        if task is not waiter:
            task.result()


async def serve_polling(app: App, holder: str) -> None:
    """Long polling into the inbox until SIGINT/SIGTERM or the lease is lost."""
    stop = asyncio.Event()
    with _stop_on_signals(stop):
        async with _running(app):
            hold_polling_lease(app, holder, stop.set)
            await app.bot.delete_webhook()  # getUpdates is refused while a webhook is set
            notices = LateNotices(app.bot)
            consumer = Consumer(app, holder, notices)
            fetcher = Fetcher(app, consumer, notices)
            consuming = asyncio.create_task(consumer.run(), name="inbox-consumer")
            fetching = asyncio.create_task(fetcher.run(), name="inbox-fetcher")
            logger.info("Polling into the inbox")
            try:
                await _until(stop, fetching, consuming)
            finally:
                fetcher.stop()
                await asyncio.gather(fetching, return_exceptions=True)
                consumer.stop()
                await consuming


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the bot decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_webhook(app: App, settings: Settings, holder: str, path: str, secret: str) -> None:
    """Answer Telegram's deliveries (and the console) until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    url = settings.webhook_url
    assert url is not None
    with _stop_on_signals(stop):
        async with _running(app):
            notices = LateNotices(app.bot)
            consumer = Consumer(app, holder, notices)
            data = app.bot_data
            console = create_console(
                settings,
                state=ConsoleState(settings=settings, engine=data.engine, roles=data.roles),
            )
            web = Starlette(
                routes=[webhook_route(path, secret, app, consumer, notices), Mount("/", console)]
            )
            config = uvicorn.Config(
                web,
                host=settings.webhook_listen,
                port=settings.webhook_port,
                lifespan="off",
                log_level="warning",
            )
            server = _Server(config)
            consuming = asyncio.create_task(consumer.run(), name="inbox-consumer")
            serving = asyncio.create_task(server.serve(), name="webhook-server")
            try:
                while not server.started:
                    if serving.done():
                        serving.result()
                        raise RuntimeError("the webhook server stopped at start")
                    await asyncio.sleep(0.05)
                await app.bot.set_webhook(
                    url, secret_token=secret, allowed_updates=Update.ALL_TYPES
                )
                logger.info(
                    "Webhook set; serving on %s:%s", settings.webhook_listen, settings.webhook_port
                )
                await _until(stop, serving, consuming)
            finally:
                server.should_exit = True
                await asyncio.gather(serving, return_exceptions=True)
                consumer.stop()
                await consuming
