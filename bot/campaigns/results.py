"""你点我检 results: ranked counts per ballot, voters, 镇/街道, suggestions, raw votes."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from bot.campaigns.services import BallotView, CampaignView, load_view
from bot.models import Campaign, Suggestion, Vote, VoteChoice, as_utc

__all__ = [
    "NO_TOWNSHIP",
    "BallotResult",
    "OptionResult",
    "RawVote",
    "Results",
    "SuggestionRow",
    "TownshipResult",
    "pseudonym",
    "raw_votes",
    "results_with_votes",
    "tally",
]

NO_TOWNSHIP = "未填写"


@dataclass(frozen=True, slots=True)
class OptionResult:
    """One option's place: rank (ties share it), count, share of all votes cast."""

    rank: int
    label: str
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class BallotResult:
    """One ballot's options, most chosen first."""

    title: str
    max_choices: int
    rows: tuple[OptionResult, ...]


@dataclass(frozen=True, slots=True)
class TownshipResult:
    """Voters from one 镇/街道."""

    name: str
    voters: int
    share: float


@dataclass(frozen=True, slots=True)
class SuggestionRow:
    """A citizen's 其他 suggestion (shown to staff only)."""

    ballot: str
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Results:
    """Everything /results and the exports show."""

    campaign: Campaign
    ballots: tuple[BallotResult, ...]
    voters: int
    votes: int
    poll_votes: int
    townships: tuple[TownshipResult, ...]
    suggestions: tuple[SuggestionRow, ...]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _ranked(ballot: BallotView, counts: dict[int, int], votes: int) -> tuple[OptionResult, ...]:
    # sorted() is stable: equal counts keep the ballot's own order.
    order = sorted(ballot.options, key=lambda o: -counts.get(o.id, 0))
    rows: list[OptionResult] = []
    for place, option in enumerate(order, 1):
        count = counts.get(option.id, 0)
        rank = rows[-1].rank if rows and rows[-1].count == count else place
        rows.append(OptionResult(rank, option.label, count, _share(count, votes)))
    return tuple(rows)


def _votes(session: Session, campaign_id: int) -> tuple[int, int, int]:
    row = session.exec(
        select(
            func.count(),
            func.count(func.distinct(Vote.user_id)),
            func.coalesce(func.sum(case((col(Vote.source) == "poll", 1), else_=0)), 0),
        ).where(Vote.campaign_id == campaign_id)
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _townships(session: Session, view: CampaignView, voters: int) -> tuple[TownshipResult, ...]:
    if not view.townships:
        return ()
    rows = session.exec(
        select(Vote.township, func.count(func.distinct(Vote.user_id)))
        .where(Vote.campaign_id == view.id)
        .group_by(col(Vote.township))
    ).all()
    counts = {name or NO_TOWNSHIP: int(n) for name, n in rows}
    names = [*view.townships, *([NO_TOWNSHIP] if NO_TOWNSHIP in counts else [])]
    return tuple(
        TownshipResult(n, counts.get(n, 0), _share(counts.get(n, 0), voters)) for n in names
    )


def _suggestions(session: Session, view: CampaignView) -> tuple[SuggestionRow, ...]:
    titles = {b.id: b.title for b in view.ballots}
    rows = session.exec(
        select(Suggestion).where(Suggestion.campaign_id == view.id).order_by(col(Suggestion.at))
    ).all()
    return tuple(
        SuggestionRow(titles.get(r.ballot_id or 0, ""), r.text, as_utc(r.at)) for r in rows
    )


def tally(session: Session, campaign_id: int) -> Results | None:
    """Count every stored vote (ballot and native poll alike) of one campaign."""
    view = load_view(session, campaign_id)
    if view is None:
        return None
    counts = dict(
        session.exec(
            select(VoteChoice.option_id, func.count())
            .join(Vote, col(Vote.id) == VoteChoice.vote_id)
            .where(Vote.campaign_id == campaign_id)
            .group_by(col(VoteChoice.option_id))
        ).all()
    )
    votes, voters, polls = _votes(session, campaign_id)
    return Results(
        campaign=view.campaign,
        ballots=tuple(
            BallotResult(b.title, b.max_choices, _ranked(b, counts, votes)) for b in view.ballots
        ),
        voters=voters,
        votes=votes,
        poll_votes=polls,
        townships=_townships(session, view, voters),
        suggestions=_suggestions(session, view),
    )


def pseudonym(campaign: Campaign, user_id: int) -> str:
    """A stable voter id for exports that does not reveal the Telegram id (HMAC, per campaign)."""
    digest = hmac.new(campaign.salt.encode(), str(user_id).encode(), hashlib.sha256)
    return digest.hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class RawVote:
    """One stored vote for the export: who (pseudonymous), when, where and what."""

    voter: str
    day: str
    township: str | None
    source: str
    submitted_at: datetime
    choices: tuple[tuple[str, ...], ...]  # per ballot, in ballot order


def results_with_votes(session: Session, campaign_id: int) -> tuple[Results | None, list[RawVote]]:
    """The campaign's tally and every vote behind it (none when there is no such campaign)."""
    results = tally(session, campaign_id)
    return results, raw_votes(session, campaign_id) if results else []


def raw_votes(session: Session, campaign_id: int) -> list[RawVote]:
    """Every vote of the campaign, oldest first."""
    view = load_view(session, campaign_id)
    if view is None:
        return []
    labels = {o.id: o.label for b in view.ballots for o in b.options}
    chosen: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    pairs = session.exec(
        select(VoteChoice.vote_id, VoteChoice.ballot_id, VoteChoice.option_id)
        .join(Vote, col(Vote.id) == VoteChoice.vote_id)
        .where(Vote.campaign_id == campaign_id)
    ).all()
    for vote_id, ballot_id, option_id in pairs:
        chosen[vote_id][ballot_id].append(labels[option_id])
    votes = session.exec(
        select(Vote)
        .where(Vote.campaign_id == campaign_id)
        .order_by(col(Vote.submitted_at), col(Vote.id))
    ).all()
    return [
        RawVote(
            pseudonym(view.campaign, v.user_id),
            v.day,
            v.township,
            v.source,
            as_utc(v.submitted_at),
            tuple(tuple(chosen[v.id or 0][b.id]) for b in view.ballots),
        )
        for v in votes
    ]
