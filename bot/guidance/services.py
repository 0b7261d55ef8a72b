"""政策问答 services: ask, feedback, the staff queue, statistics and article look-up."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from bot.models import (
    Feedback,
    PendingQuestion,
    QuestionLog,
    Statute,
    StatuteArticle,
    as_utc,
    utcnow,
)
from knowledge.answering import Reply, answer
from knowledge.loader import Citation, Entry
from knowledge.search import KnowledgeIndex, Outcome, SearchResult
from knowledge.text import Analyzer

__all__ = [
    "Asked",
    "GuidanceStats",
    "ask",
    "choose_entry",
    "claim_unnotified",
    "dismiss_pending",
    "excel_csv",
    "export_pending_csv",
    "find_article",
    "guidance_stats",
    "has_words",
    "leave_question",
    "list_pending",
    "local_time",
    "log_for",
    "log_reply",
    "record_feedback",
    "reply_pending",
    "shows_question",
    "zone_name",
]

MAX_LOGGED = 1000


@dataclass(frozen=True, slots=True)
class Asked:
    """A logged message and what the bot makes of it: one log row per answered part."""

    reply: Reply
    log_ids: tuple[int, ...]

    @property
    def log_id(self) -> int:
        """The log row of the first answer (or of the whole message when none was answered)."""
        return self.log_ids[0]

    @property
    def result(self) -> SearchResult:
        """The search over the message as a whole."""
        return self.reply.whole


def ask(
    session: Session,
    index: KnowledgeIndex,
    *,
    user_id: int,
    text: str,
    business_type: str | None,
) -> Asked:
    """Answer the message (each of its questions) and log what the user was given."""
    reply = answer(index, text, business_type=business_type)
    log_ids = log_reply(session, reply, user_id=user_id, text=text, business_type=business_type)
    return Asked(reply, log_ids)


def log_reply(
    session: Session, reply: Reply, *, user_id: int, text: str, business_type: str | None
) -> tuple[int, ...]:
    """Log what the user was given: one row per answered part, one for the rest; their ids."""
    logs: list[QuestionLog] = []
    for part in reply.answered:
        logs.append(_log(user_id, part.text, Outcome.ANSWERED, part.entry, part.confidence))
    if reply.unanswered or not reply.answered:
        best = reply.suggestions[0].entry if reply.suggestions else None
        outcome = Outcome.SUGGESTED if reply.suggestions else Outcome.NONE
        logs.append(_log(user_id, reply.unanswered or text, outcome, best, reply.confidence))
    for log in logs:
        log.business_type = business_type
        session.add(log)
    session.commit()
    return tuple(log.id for log in logs if log.id is not None)


def _log(
    user_id: int, text: str, outcome: Outcome, entry: Entry | None, score: float
) -> QuestionLog:
    return QuestionLog(
        user_id=user_id,
        text=text[:MAX_LOGGED],
        outcome=outcome.value,
        entry_id=entry.id if entry else None,
        topic=entry.topic if entry else None,
        score=score,
    )


def has_words(text: str) -> bool:
    """True when the text has letters of any script (not only emoji, digits or punctuation)."""
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def shows_question(asked: str, entry: Entry, analyzer: Analyzer) -> bool:
    """The reply names the question it answers unless the user typed exactly that question."""
    return analyzer.compact(asked) != analyzer.compact(entry.question)


def choose_entry(session: Session, *, user_id: int, entry: Entry) -> int:
    """The user picked an entry (suggestion, related, topic list): log it as answered."""
    log = QuestionLog(
        user_id=user_id,
        text=entry.question,
        outcome="chosen",
        entry_id=entry.id,
        topic=entry.topic,
        score=1.0,
    )
    session.add(log)
    session.commit()
    assert log.id is not None
    return log.id


def log_for(session: Session, *, log_id: int, user_id: int) -> QuestionLog | None:
    """The log row, only for the user who asked it (buttons are never trusted)."""
    log = session.get(QuestionLog, log_id)
    return log if log is not None and log.user_id == user_id else None


def record_feedback(session: Session, *, log_id: int, user_id: int, helpful: bool) -> bool:
    """有用 / 没解决 on the asker's own answer; the last press counts."""
    if log_for(session, log_id=log_id, user_id=user_id) is None:
        return False
    row = session.exec(
        select(Feedback).where(Feedback.log_id == log_id, Feedback.user_id == user_id)
    ).first()
    row = row or Feedback(log_id=log_id, user_id=user_id, helpful=helpful)
    row.helpful = helpful
    row.at = utcnow()
    session.add(row)
    session.commit()
    return True


def leave_question(
    session: Session, *, log_id: int, user_id: int, chat_id: int
) -> PendingQuestion | None:
    """Queue the asker's question for staff; pressing twice returns the same item."""
    log = log_for(session, log_id=log_id, user_id=user_id)
    if log is None:
        return None
    existing = session.exec(
        select(PendingQuestion).where(PendingQuestion.log_id == log_id)
    ).first()
    if existing is not None:
        return existing
    item = PendingQuestion(log_id=log_id, user_id=user_id, chat_id=chat_id, text=log.text)
    session.add(item)
    session.commit()
    return item


def list_pending(session: Session, *, limit: int = 20) -> tuple[list[PendingQuestion], int]:
    """The oldest open items and how many are open in all."""
    query = select(PendingQuestion).where(PendingQuestion.status == "open")
    items = session.exec(query.order_by(col(PendingQuestion.id)).limit(limit)).all()
    total = session.exec(
        select(func.count()).select_from(PendingQuestion).where(PendingQuestion.status == "open")
    ).one()
    return list(items), int(total)


def _handle(
    session: Session, *, item_id: int, admin_id: int, status: str, answer: str | None
) -> PendingQuestion | None:
    item = session.get(PendingQuestion, item_id)
    if item is None or item.status != "open":
        return None
    item.status = status
    item.answer = answer
    item.handled_by = admin_id
    item.handled_at = utcnow()
    session.add(item)
    session.commit()
    return item


def open_item(session: Session, item_id: int) -> PendingQuestion | None:
    """An item still waiting for staff; None when it does not exist or was handled."""
    item = session.get(PendingQuestion, item_id)
    return item if item is not None and item.status == "open" else None


def reply_pending(
    session: Session, *, item_id: int, admin_id: int, text: str
) -> PendingQuestion | None:
    """Answer an open item; None when it does not exist or was already handled."""
    return _handle(session, item_id=item_id, admin_id=admin_id, status="answered", answer=text)


def dismiss_pending(session: Session, *, item_id: int, admin_id: int) -> PendingQuestion | None:
    """Close an open item without an answer."""
    return _handle(session, item_id=item_id, admin_id=admin_id, status="dismissed", answer=None)


def claim_unnotified(
    session: Session, *, now: datetime, limit: int = 30
) -> tuple[list[PendingQuestion], int]:
    """Open items staff have not been told about, claimed so that one worker tells them once.

    Returns the claimed items (oldest first, at most ``limit``) and how many are open in all.
    """
    waiting = session.exec(
        select(PendingQuestion.id)
        .where(PendingQuestion.status == "open", col(PendingQuestion.notified_at).is_(None))
        .order_by(col(PendingQuestion.id))
        .limit(limit)
    ).all()
    claimed: list[int] = []
    for item_id in waiting:
        # The conditional update is the claim: another worker's tick finds the row taken.
        taken = session.exec(
            update(PendingQuestion)
            .where(col(PendingQuestion.id) == item_id, col(PendingQuestion.notified_at).is_(None))
            .values(notified_at=now)
        )
        if taken.rowcount == 1:
            claimed.append(int(item_id or 0))
    session.commit()
    items = [session.get(PendingQuestion, i) for i in claimed]
    total = session.exec(
        select(func.count()).select_from(PendingQuestion).where(PendingQuestion.status == "open")
    ).one()
    return [i for i in items if i is not None], int(total)


def export_pending_csv(session: Session, tz: ZoneInfo) -> bytes:
    """Every queued question as CSV (UTF-8 with BOM so Excel shows the Chinese).

    Times are in the bot's time zone (the TIMEZONE setting), like everything else staff see,
    and the header says which zone.
    """
    zone = zone_name(tz)

    def shown(value: datetime | None) -> str:
        return local_time(value, tz)

    rows: list[list[object]] = [
        [
            "编号",
            f"提问时间({zone})",
            "用户ID",
            "问题",
            "状态",
            "回复",
            "处理人",
            f"处理时间({zone})",
        ]
    ]
    for item in session.exec(select(PendingQuestion).order_by(col(PendingQuestion.id))).all():
        rows.append(
            [
                item.id,
                shown(item.created_at),
                item.user_id,
                item.text,
                {"open": "待回复", "answered": "已回复", "dismissed": "已忽略"}[item.status],
                item.answer or "",
                item.handled_by or "",
                shown(item.handled_at),
            ]
        )
    return excel_csv(rows)


def zone_name(tz: ZoneInfo) -> str:
    """The time zone as staff call it in column headers."""
    return "北京时间" if tz.key == "Asia/Shanghai" else tz.key


def local_time(value: datetime | None, tz: ZoneInfo) -> str:
    """A stored (UTC) time as staff read it ('' for none)."""
    return as_utc(value).astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def excel_csv(rows: Iterable[Sequence[object]]) -> bytes:
    """CSV that Excel opens with the Chinese intact (UTF-8 with BOM)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass(frozen=True, slots=True)
class GuidanceStats:
    """Figures for /stats."""

    questions: int
    answered: int
    suggested: int
    unanswered: int
    feedback: int
    helpful: int
    pending_open: int
    top_topics: list[tuple[str, int]]
    top_unanswered: list[tuple[str, int]]

    @property
    def unanswered_rate(self) -> float:
        """Share of typed questions that got no confident answer or suggestion."""
        return self.unanswered / self.questions if self.questions else 0.0

    @property
    def helpful_rate(self) -> float:
        """Share of feedback presses that said 有用."""
        return self.helpful / self.feedback if self.feedback else 0.0


def guidance_stats(session: Session) -> GuidanceStats:
    """Most asked topics, unanswered and helpful rates."""
    outcomes = Counter(session.exec(select(QuestionLog.outcome)).all())
    topics = Counter(
        t
        for t in session.exec(select(QuestionLog.topic).where(QuestionLog.outcome != "none"))
        if t
    )
    unanswered_texts = Counter(
        session.exec(select(QuestionLog.text).where(QuestionLog.outcome == "none")).all()
    )
    votes = session.exec(select(Feedback.helpful)).all()
    pending = session.exec(
        select(func.count()).select_from(PendingQuestion).where(PendingQuestion.status == "open")
    ).one()
    asked = outcomes[Outcome.ANSWERED.value] + outcomes[Outcome.SUGGESTED.value] + outcomes["none"]
    return GuidanceStats(
        questions=asked,
        answered=outcomes[Outcome.ANSWERED.value],
        suggested=outcomes[Outcome.SUGGESTED.value],
        unanswered=outcomes["none"],
        feedback=len(votes),
        helpful=sum(1 for v in votes if v),
        pending_open=int(pending),
        top_topics=topics.most_common(5),
        top_unanswered=unanswered_texts.most_common(5),
    )


def find_article(
    session: Session, citation: Citation
) -> tuple[Statute | None, StatuteArticle | None]:
    """The cited article in the imported version the citation means (never another version)."""
    versions = session.exec(select(Statute).where(Statute.source_key == citation.source)).all()
    wanted = citation.statute.effective
    # Another version (the superseded 2021 食品安全法, say) may word the article differently.
    statute = next((v for v in versions if v.effective == wanted), None)
    if statute is None:
        return None, None
    article = session.exec(
        select(StatuteArticle).where(
            StatuteArticle.statute_id == statute.id, StatuteArticle.number == citation.article
        )
    ).first()
    return statute, article
