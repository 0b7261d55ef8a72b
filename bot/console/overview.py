"""The figures of the 概览 page: this week in Beijing time, in a handful of grouped queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from bot.broadcasts.services import ACTIVE, Progress, progress
from bot.models import Attempt, Broadcast, Campaign, PendingQuestion, QuestionLog, Vote

__all__ = ["Overview", "overview", "week_start"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Overview:
    """What a staff member sees first."""

    since: datetime
    outcomes: dict[str, int]  # answered | suggested | none | chosen -> count this week
    left: int  # questions left for staff this week
    pending_open: int
    open_campaigns: list[tuple[Campaign, int]]
    exams_taken: int
    exams_passed: int
    broadcasts: list[tuple[Broadcast, Progress]]

    @property
    def pass_rate(self) -> float:
        """Share of this week's submitted exams that passed."""
        return self.exams_passed / self.exams_taken if self.exams_taken else 0.0


def week_start(now: datetime) -> datetime:
    """Monday 00:00 Beijing time of the week containing now (as an aware datetime)."""
    local = now.astimezone(SHANGHAI)
    monday = (local - timedelta(days=local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=SHANGHAI)


def overview(session: Session, *, now: datetime) -> Overview:
    """This week's questions, the queue, open campaigns, exams and running broadcasts."""
    since = week_start(now)
    outcomes = dict(
        session.exec(
            select(QuestionLog.outcome, func.count())
            .where(col(QuestionLog.at) >= since)
            .group_by(col(QuestionLog.outcome))
        ).all()
    )
    left = session.exec(
        select(func.count())
        .select_from(PendingQuestion)
        .where(PendingQuestion.created_at >= since)
    ).one()
    pending_open = session.exec(
        select(func.count()).select_from(PendingQuestion).where(PendingQuestion.status == "open")
    ).one()
    campaigns = session.exec(
        select(Campaign).where(Campaign.status == "open").order_by(col(Campaign.id))
    ).all()
    voters = dict(
        session.exec(
            select(Vote.campaign_id, func.count(func.distinct(Vote.user_id)))
            .where(col(Vote.campaign_id).in_([c.id for c in campaigns]))
            .group_by(col(Vote.campaign_id))
        ).all()
    )
    taken, passed = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(Attempt.passed).is_(True), 1), else_=0)), 0),
        ).where(
            Attempt.mode == "exam",
            Attempt.status == "submitted",
            col(Attempt.submitted_at) >= since,
        )
    ).one()
    running = session.exec(
        select(Broadcast).where(col(Broadcast.status).in_(ACTIVE)).order_by(col(Broadcast.id))
    ).all()
    return Overview(
        since=since,
        outcomes={str(k): int(v) for k, v in outcomes.items()},
        left=int(left),
        pending_open=int(pending_open),
        open_campaigns=[(c, int(voters.get(c.id or 0, 0))) for c in campaigns],
        exams_taken=int(taken),
        exams_passed=int(passed or 0),
        broadcasts=[(b, progress(session, b.id)) for b in running if b.id is not None],
    )
