"""Helpers for broadcast and push tests: subscribers as rows, waiting for a broadcast, counting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.models import Broadcast, Delivery, Subscription, User
from bot.sandbox.driver import Driver


def add_subscribers(driver: Driver, engine: Engine, ids: Iterable[int], topic: str) -> list[int]:
    """Users who opened the bot earlier and subscribed to topic (rows written directly)."""
    chosen = list(ids)
    with Session(engine) as session:
        for uid in chosen:
            driver.user(uid)
            if session.get(User, uid) is None:
                session.add(User(id=uid, display_name=f"用户{uid}"))
            session.add(Subscription(user_id=uid, topic=topic, active=True))
        session.commit()
    return chosen


async def wait_broadcast(app: Any, broadcast_id: int, timeout: float = 30.0) -> None:
    """Wait until the background task sending this broadcast has ended."""
    deadline = time.monotonic() + timeout
    while (task := app.bot_data.extras.get("broadcast_tasks", {}).get(broadcast_id)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"broadcast {broadcast_id} was never launched")
        await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.shield(task), max(deadline - time.monotonic(), 0.01))


async def wait_until(condition: Any, timeout: float = 20.0) -> None:
    """Poll condition every 5 ms; fail if it is still false after timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


def copies(driver: Driver, chat_id: int, needle: str) -> int:
    """How many of the bot's messages in the chat contain needle."""
    return sum(needle in (m.text or "") for m in driver.emulator.messages(chat_id))


def statuses(engine: Engine, broadcast_id: int) -> dict[int, str]:
    """chat_id -> delivery status of one broadcast."""
    with Session(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.broadcast_id == broadcast_id)).all()
        return {d.chat_id: d.status for d in rows}


def broadcast_row(engine: Engine, broadcast_id: int) -> Broadcast:
    """The broadcast as stored now."""
    with Session(engine) as session:
        row = session.get(Broadcast, broadcast_id)
        assert row is not None
        return row
