"""The typed context: settings, the database, one clock and one random source.

Every handler and job reads the time through context.now() (a job without a context through
app.bot_data.clock()) and draws randomness from context.rng. Tests move the clock and seed the
randomness by giving build_application() their own.

Database work runs off the event loop: `await context.db(service, *args)` calls the service with
a session of its own in a worker thread, so a locked SQLite file or a slow PostgreSQL delays only
the update that needs it. PTB makes one Context per update, so what is cached on it (the
sender's User row, read or written once by handlers/tracking.py) lives exactly one update.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeAlias, TypeVar

from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from telegram.ext import Application, CallbackContext, ExtBot

from bot.db import is_shared_connection, session_scope
from bot.models import User, utcnow
from bot.users import find_user

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from telegram import Update

    from bot.config import Settings
    from bot.features import Feature
    from bot.kit.registration import TextInput, TextProbe
    from bot.users import Roles
    from knowledge.search import KnowledgeIndex
    from knowledge.tips import Tip

__all__ = ["App", "BotData", "Context", "run_db"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
# Deferred writes still running (a task nobody awaits must be referenced until it ends).
_DEFERRED: set[asyncio.Task[Any]] = set()
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deferred-write")
# A deferred write outlasts a lock held longer than SQLite's busy timeout (30 s) by trying again.
DEFERRED_ATTEMPTS = 4


async def run_db(
    engine: Engine,
    fn: Callable[Concatenate[Session, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """fn(session, *args) in a worker thread with its own session (rolled back if it raises).

    An in-memory database (tests) is one connection that threads must not share: its work stays
    on the loop, as it did before.
    """

    def work() -> T:
        with session_scope(engine) as session:
            return fn(session, *args, **kwargs)

    if is_shared_connection(engine):
        return work()
    return await asyncio.to_thread(work)


async def _deferrable(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """As run_db, on the one thread of deferrable writes: however long a lock holds them, they
    keep one thread, never the pool that every update's reads need."""

    def work() -> T:
        with session_scope(engine) as session:
            return fn(session, *args, **kwargs)

    if is_shared_connection(engine):
        return work()
    return await asyncio.get_running_loop().run_in_executor(_WRITER, work)


def _probe_all(
    session: Session, probes: list[TextProbe], user_id: int, now: datetime, text: str
) -> set[int]:
    """The ids of the probes that say the text is their feature's."""
    return {id(probe) for probe in probes if probe(session, user_id, now, text)}


def _retrying(fn: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Session, P], T]:
    """fn again (in a fresh transaction) while the database says it is locked."""

    def again(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, DEFERRED_ATTEMPTS + 1):
            try:
                return fn(session, *args, **kwargs)
            except OperationalError as exc:
                if attempt == DEFERRED_ATTEMPTS or "locked" not in str(exc):
                    raise
                session.rollback()
                logger.warning("Deferred write waits for a locked database (attempt %d)", attempt)
        raise AssertionError("unreachable")

    return again


def _settled(task: asyncio.Task[Any]) -> None:
    _DEFERRED.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("A deferred database write failed", exc_info=task.exception())


class BotData:
    """Filled once by build_application(); PTB needs the no-argument constructor."""

    settings: Settings
    engine: Engine
    roles: Roles
    knowledge: KnowledgeIndex
    tips: dict[str, Tip]
    features: tuple[Feature, ...]
    # deep-link prefix ("vote", "exam") -> handler(update, context, argument)
    deep_links: dict[str, Callable[[Update, Context, str], Awaitable[None]]]
    # menu button key (labels.yaml) -> handler(update, context)
    menu_actions: dict[str, Callable[[Update, Context], Awaitable[None]]]
    # private free text is offered to these first (drafts awaiting input); True = consumed.
    # Each feature's inputs come with its probe (None: always offered), see awaited_inputs().
    text_interceptors: list[tuple[TextProbe | None, tuple[TextInput, ...]]]
    # async hooks run once in post_init (re-register jobs, resume broadcasts)
    startup_hooks: list[Callable[[Any], Awaitable[None]]]
    # the one clock (UTC, aware) and the one random source (codes must not be guessable)
    clock: Callable[[], datetime]
    rng: random.Random
    extras: dict[str, Any]

    def __init__(self) -> None:
        self.clock = utcnow
        self.rng = random.SystemRandom()
        self.features = ()
        self.startup_hooks = []
        self.text_interceptors = []
        self.deep_links = {}
        self.menu_actions = {}
        self.extras = {}


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """What every handler and job is given (ContextTypes(context=Context) in bot/app.py)."""

    @property
    def settings(self) -> Settings:
        """The application's settings."""
        return self.bot_data.settings

    async def db(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a service, fn(session, *args), off the event loop with a session of its own."""
        return await run_db(self.bot_data.engine, fn, *args, **kwargs)

    async def db_within(
        self,
        seconds: float,
        fn: Callable[Concatenate[Session, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T | None:
        """As db(), waiting at most `seconds`: None when the database is slower (a held lock);
        the work then goes on in the background, retried while the database stays locked."""
        work = _deferrable(self.bot_data.engine, _retrying(fn), *args, **kwargs)
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        try:
            return await asyncio.wait_for(asyncio.shield(task), seconds)
        except TimeoutError:
            _DEFERRED.add(task)
            task.add_done_callback(_settled)
            return None

    def remember_sender(self, user_id: int, row: User | None) -> None:
        """Keep the sender's row for the rest of this update (handlers/tracking.py sets it)."""
        self.__dict__["_sender"] = (user_id, row)

    async def user_row(self, user_id: int) -> User | None:
        """A user's row: the sender's as this update read it, anyone else's from the database."""
        cached = self.__dict__.get("_sender")
        if cached is not None and cached[0] == user_id:
            row: User | None = cached[1]
            return row
        return await self.db(find_user, user_id)

    async def is_inspector(self, user_id: int) -> bool:
        """Inspector (or admin) by settings or by a role granted in chat."""
        roles = self.bot_data.roles
        if user_id in roles.inspectors or user_id in roles.admins:
            return True
        return roles.row_is_inspector(user_id, await self.user_row(user_id))

    async def awaited_inputs(self, user_id: int, text: str) -> list[TextInput]:
        """The text inputs that may want this user's text: every probe in one database call."""
        groups = self.bot_data.text_interceptors
        probes = [probe for probe, _ in groups if probe is not None]
        owed = await self.db(_probe_all, probes, user_id, self.now(), text) if probes else set()
        return [
            text_input
            for probe, inputs in groups
            if probe is None or id(probe) in owed
            for text_input in inputs
        ]

    @property
    def press_answered(self) -> bool:
        """True once this update's button press was answered early (see answered_when_slow)."""
        return bool(self.__dict__.get("_press_answered"))

    def mark_press_answered(self) -> None:
        """The press was answered: later answers of this update are not sent again."""
        self.__dict__["_press_answered"] = True

    def now(self) -> datetime:
        """The one clock (UTC)."""
        return self.bot_data.clock()

    @property
    def rng(self) -> random.Random:
        """The one random source."""
        return self.bot_data.rng


App: TypeAlias = Application[Any, Any, Any, Any, BotData, Any]
