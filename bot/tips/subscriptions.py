"""Push topics a user subscribes to: 节日消费提示, 你点我检活动, 抽检结果公示."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.db import ensure_row
from bot.models import Subscription, User, utcnow

__all__ = [
    "TOPICS",
    "active_subscribers",
    "set_topic",
    "toggle_and_list",
    "toggle_topic",
    "topics_of",
    "unsubscribe_all",
]

TOPICS = ("tips", "campaigns", "results")


def topics_of(session: Session, user_id: int) -> set[str]:
    """The topics a user currently receives."""
    rows = session.exec(
        select(Subscription.topic).where(
            Subscription.user_id == user_id, col(Subscription.active).is_(True)
        )
    ).all()
    return set(rows)


def set_topic(session: Session, *, user_id: int, topic: str, active: bool) -> bool:
    """Switch one topic on or off; False for an unknown topic."""
    if topic not in TOPICS:
        return False
    row = session.get(Subscription, (user_id, topic))
    if row is None:
        row = ensure_row(session, Subscription(user_id=user_id, topic=topic, active=active))
    row.active = active
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    return True


def toggle_topic(session: Session, *, user_id: int, topic: str) -> bool | None:
    """Flip one topic; returns the new state, None for an unknown topic."""
    if topic not in TOPICS:
        return None
    new_state = topic not in topics_of(session, user_id)
    set_topic(session, user_id=user_id, topic=topic, active=new_state)
    return new_state


def toggle_and_list(session: Session, *, user_id: int, topic: str) -> tuple[bool | None, set[str]]:
    """Flip one topic: its new state (None: unknown topic) and the topics now on."""
    state = toggle_topic(session, user_id=user_id, topic=topic)
    return state, topics_of(session, user_id)


def unsubscribe_all(session: Session, *, user_id: int) -> int:
    """Switch every topic off; returns how many were on."""
    rows = session.exec(
        select(Subscription).where(
            Subscription.user_id == user_id, col(Subscription.active).is_(True)
        )
    ).all()
    for row in rows:
        row.active = False
        row.updated_at = utcnow()
        session.add(row)
    session.commit()
    return len(rows)


def active_subscribers(session: Session, topic: str) -> list[int]:
    """Subscribers of a topic who have not blocked the bot, in a stable order."""
    rows = session.exec(
        select(Subscription.user_id)
        .join(User, User.id == Subscription.user_id)  # type: ignore[arg-type]
        .where(
            Subscription.topic == topic,
            col(Subscription.active).is_(True),
            col(User.blocked).is_(False),
        )
        .order_by(col(Subscription.user_id))
    ).all()
    return list(rows)
