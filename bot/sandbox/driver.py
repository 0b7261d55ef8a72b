"""Drive a PTB Application from the emulator: helpers for any app, and Driver for the real bot."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from telegram import Update

from bot.sandbox.clock import Clock, RealClock
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.limits import Limits
from bot.sandbox.request import SandboxRequest
from bot.sandbox.state import StoredMessage
from bot.sandbox.users import MessageRef, UserHandle

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from telegram.ext import Application

    from bot.config import Settings


async def process_update(
    application: Application[Any, Any, Any, Any, Any, Any], update: Mapping[str, Any]
) -> None:
    """Run the application's handlers on one update dict (as returned by a UserHandle)."""
    await application.process_update(Update.de_json(dict(update), application.bot))


async def process_pending(
    application: Application[Any, Any, Any, Any, Any, Any], emu: BotApiEmulator
) -> int:
    """Feed every queued update to the application, as polling would; return the count."""
    count = 0
    while (update := emu.updates.pop_first()) is not None:
        await application.process_update(Update.de_json(update, application.bot))
        count += 1
    return count


class Driver:
    """The real bot (bot.app.build_application) wired to an in-process emulator.

    Updates are fed straight to Application.process_update, so when send()/press() return, the
    handlers have finished: no polling, no sleeps. The emulator runs on real time (the bot's own
    pacing sleeps for real) and enforces the flood limits; clock.advance() skips ahead. Each
    settle() first skips `think_time` seconds, as a person pauses between taps, so a reply or two
    per action never meets the one-message-per-second private chat limit.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        emulator: BotApiEmulator | None = None,
        limits: Limits | None = None,
        clock: Clock | None = None,
        think_time: float = 2.0,
        app_clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        from bot.app import OFFLINE_TOKEN  # lazy: bot.app pulls in every feature

        self.settings = settings
        self._engine = engine
        self.clock: Clock = clock or RealClock()
        self.think_time = think_time
        self._app_clock = app_clock  # the bot's own clock (Context.now); real time if None
        self._rng = rng
        self.emulator = emulator or BotApiEmulator(OFFLINE_TOKEN, limits=limits, clock=self.clock)
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None

    @property
    def application(self) -> Application[Any, Any, Any, Any, Any, Any]:
        """The running Application (after start())."""
        if self._app is None:
            raise RuntimeError("Driver.start() has not been called")
        return self._app

    async def start(self) -> None:
        """Build and start the bot the way run_polling does, minus the updater."""
        from bot.app import build_application
        from bot.db import create_tables, make_engine

        if self._engine is None:  # offline: the tables as the models are (no migrations)
            self._engine = make_engine(self.settings.database_url)
            create_tables(self._engine)
        app = build_application(
            self.settings,
            request=SandboxRequest(self.emulator),
            engine=self._engine,
            clock=self._app_clock,
            rng=self._rng,
        )
        self._app = app
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()

    async def stop(self) -> None:
        """Stop and shut down, running post_stop/post_shutdown like run_polling."""
        app = self._app
        if app is None:
            return
        if app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        await self.emulator.aclose()
        self._app = None

    async def __aenter__(self) -> Driver:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def user(self, user_id: int, first_name: str | None = None, **details: Any) -> UserHandle:
        """A user handle (see BotApiEmulator.user)."""
        return self.emulator.user(user_id, first_name, **details)

    async def settle(self) -> int:
        """Run the handlers for every queued update; return how many were processed."""
        advance = getattr(self.clock, "advance", None)
        if self.emulator.pending_updates and advance is not None and self.think_time:
            advance(self.think_time)
        return await process_pending(self.application, self.emulator)

    def messages(self, chat_id: int) -> list[StoredMessage]:
        """The bot's live messages in a chat, oldest first."""
        return self.emulator.messages(chat_id)

    def last(self, chat_id: int) -> StoredMessage:
        """The bot's newest live message in a chat (LookupError when there is none)."""
        message = self.emulator.last_message(chat_id)
        if message is None:
            raise LookupError(f"the bot has no message in chat {chat_id}")
        return message

    def last_answer(self) -> str | None:
        """The text of the latest callback query answer (None if it had no text or none yet)."""
        answers = self.emulator.callback_answers
        return answers[-1].text if answers else None

    def _next_id(self, chat_id: int) -> int:
        chat = self.emulator.chats.get(chat_id)
        return chat.next_message_id if chat is not None else 1

    def _since(self, chat_id: int, first_id: int) -> list[StoredMessage]:
        return [m for m in self.emulator.messages(chat_id) if m.message_id >= first_id]

    async def send(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[StoredMessage]:
        """The user types text (optionally as a reply); returns the bot's new messages there."""
        user = self.user(user_id)
        target = user_id if chat_id is None else chat_id
        first = self._next_id(target)
        user.send(text, chat_id, reply_to=reply_to)
        await self.settle()
        return self._since(target, first)

    async def press(
        self,
        user_id: int,
        message: MessageRef,
        button: str | tuple[int, int],
        *,
        chat_id: int | None = None,
    ) -> list[StoredMessage]:
        """The user taps a button; returns the bot's new messages (edits show in the emulator)."""
        update = self.user(user_id).press(message, button, chat_id=chat_id)
        return await self._after_press(update)

    async def press_data(
        self, user_id: int, message: MessageRef, data: str, *, chat_id: int | None = None
    ) -> list[StoredMessage]:
        """A callback query with any data (a stale or forged button); returns new bot messages."""
        update = self.user(user_id).press_data(message, data, chat_id=chat_id)
        return await self._after_press(update)

    async def _after_press(self, update: Mapping[str, Any]) -> list[StoredMessage]:
        target = int(update["callback_query"]["message"]["chat"]["id"])
        first = self._next_id(target)
        await self.settle()
        return self._since(target, first)
