"""Fault scenario: sends that time out after Telegram delivered them are never sent twice.

The in-process sandbox carries each call out and then loses its answer (inject_timeout): the bot
sees TimedOut exactly as after a read timeout. A broadcast goes to RECIPIENTS subscribers whose
every first send times out, and one user's /help reply times out. Counted: messages the bot
meant to send (sent), recipients who got theirs (answered), who got none (lost) or more than one
(duplicated), deliveries left 'uncertain' for staff, and apologies sent after a timed-out reply.
"""

from __future__ import annotations

import asyncio
import pathlib

NAME = "timed-out send"
RECIPIENTS = 10
ASKER = 60_001
TEXT = "端午节粽子选购提示：认准生产日期和保质期"


async def _scenario(workdir: pathlib.Path) -> dict[str, int]:
    from sqlmodel import Session, col, select

    from bot.broadcasts.services import create_broadcast
    from bot.config import Settings
    from bot.db import create_tables, make_engine, session_scope
    from bot.models import Delivery, Subscription, User
    from bot.sandbox.driver import Driver
    from bot.sandbox.limits import Limits
    from scheduler.broadcasts import launch

    url = f"sqlite:///{workdir / 'timed_out_send.db'}"
    engine = make_engine(url)
    create_tables(engine)
    settings = Settings(
        _env_file=None, database_url=url, broadcast_rate=100, telegram_flood_limit=300
    )
    driver = Driver(settings, engine=engine, limits=Limits(enabled=False))
    await driver.start()
    try:
        users = list(range(61_001, 61_001 + RECIPIENTS))
        with session_scope(engine) as session:
            for uid in users:
                driver.user(uid)
                session.add(User(id=uid, display_name=f"用户{uid}"))
                session.add(Subscription(user_id=uid, topic="tips", active=True))
            session.commit()
            broadcast = create_broadcast(session, kind="admin", topic="tips", text=TEXT)
        driver.emulator.inject_timeout("sendMessage", times=RECIPIENTS)
        assert broadcast.id is not None
        launch(driver.application, broadcast.id)
        task = driver.application.bot_data.extras["broadcast_tasks"][broadcast.id]
        await asyncio.wait_for(asyncio.shield(task), 60)
        copies = [sum(TEXT in (m.text or "") for m in driver.emulator.messages(u)) for u in users]
        driver.emulator.inject_timeout("sendMessage", chat_id=ASKER)
        await driver.send(ASKER, "/help")
        replies = [m.text or "" for m in driver.emulator.messages(ASKER)]
        with Session(engine) as session:
            uncertain = session.exec(
                select(Delivery).where(col(Delivery.status) == "uncertain")
            ).all()
    finally:
        await driver.stop()
        engine.dispose()
    return {
        "sent": RECIPIENTS + 1,
        "answered": sum(c >= 1 for c in copies) + (len(replies) >= 1),
        "lost": sum(c == 0 for c in copies) + (len(replies) == 0),
        "duplicated": sum(c > 1 for c in copies) + (len(replies) > 1),
        "uncertain": len(uncertain),
        "apologies": sum("出了点问题" in r for r in replies),
    }


def run(workdir: pathlib.Path) -> dict[str, int]:
    """Run the scenario in workdir; the figures."""
    return asyncio.run(_scenario(workdir))
