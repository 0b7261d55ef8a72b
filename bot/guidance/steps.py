"""Units of work the guidance chat handlers run off the event loop, one call per update."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from bot.guidance import services as guidance
from bot.models import PendingQuestion, QuestionLog, Statute, StatuteArticle
from bot.users import audit, mark_blocked
from knowledge.loader import Citation, Entry

__all__ = ["cited_articles", "dismiss_audited", "settle_reply"]


def cited_articles(
    session: Session, log_id: int, entries: Mapping[str, Entry]
) -> list[tuple[Citation, Statute | None, StatuteArticle | None]]:
    """The articles the logged answer cites, each with its imported statute text (if any)."""
    log = session.get(QuestionLog, log_id) if log_id else None
    entry = entries.get(log.entry_id or "") if log else None
    return [(c, *guidance.find_article(session, c)) for c in entry.citations] if entry else []


def settle_reply(
    session: Session,
    item: PendingQuestion,
    *,
    admin: int,
    text: str,
    answered: bool,
    blocked: bool,
) -> None:
    """After sending a staff reply: record it as the answer (logged), or the asker as blocked."""
    if answered:
        guidance.reply_pending(session, item_id=item.id or 0, admin_id=admin, text=text)
        audit(session, actor_id=admin, action="pending:reply", detail=str(item.id))
    elif blocked:
        mark_blocked(session, user_id=item.user_id)


def dismiss_audited(session: Session, item_id: int, admin: int) -> PendingQuestion | None:
    """Close an open item without an answer, logged; None when it is not open."""
    item = guidance.dismiss_pending(session, item_id=item_id, admin_id=admin)
    if item is not None:
        audit(session, actor_id=admin, action="pending:dismiss", detail=str(item_id))
    return item
