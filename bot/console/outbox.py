"""Messages the console sends to Telegram: written as broadcast rows the bot delivers.

The console process has no PTB Application and no rate limiter. Rather than calling the Bot API
itself (a second sender beside the bot, outside its flood pacing and its 403 bookkeeping), it
queues a one-recipient Broadcast with a unique key. The bot's broadcast engine
(scheduler/broadcasts.py) already picks up broadcasts queued by another process within 20 s
(the `broadcasts:resume` job), claims each Delivery row before sending and settles it after, so
the asker receives the message exactly once even if the button is pressed twice, two consoles
run, or the bot restarts. The console shows the delivery's status from the same rows.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.broadcasts.services import create_broadcast
from bot.models import Broadcast, Delivery

__all__ = ["delivery_status", "queue_message"]


def queue_message(
    session: Session, *, key: str, kind: str, chat_id: int, text: str, actor_id: int
) -> Broadcast:
    """Queue one message to one chat; the same key never queues it twice."""
    # An answer to the asker's own question: not held for quiet hours like a broadcast.
    return create_broadcast(
        session,
        kind=kind,
        text=text,
        recipients=[chat_id],
        key=key,
        created_by=actor_id,
        respect_quiet_hours=False,
    )


def delivery_status(session: Session, key: str) -> str | None:
    """pending | sending | sent | failed | blocked | uncertain for a keyed message, or None."""
    return session.exec(
        select(Delivery.status)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)  # type: ignore[arg-type]
        .where(Broadcast.key == key)
    ).first()
