"""你点我检 services: create, open/close/publish, the ballot draft, submit, poll answers.

A vote is one transaction that replaces the voter's vote for the campaign (or for the day,
under the per-day rule) with the submitted choices; every limit is checked here, never only
by the keyboard. Results and exports live in bot/campaigns/results.py and exports.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from bot.broadcasts.services import audience_size, create_broadcast, find_broadcast
from bot.campaigns.spec import BallotSpec, CampaignSpec
from bot.kit.refusal import Refusal
from bot.models import (
    Ballot,
    BallotOption,
    Broadcast,
    Campaign,
    Vote,
    as_utc,
)

__all__ = [
    "MAX_POLL_OPTIONS",
    "MAX_SUGGESTION",
    "SHANGHAI",
    "BallotState",
    "BallotView",
    "CampaignView",
    "Choice",
    "Due",
    "Recorded",
    "announce",
    "announce_preview",
    "apply_due",
    "close_campaign",
    "create_campaign",
    "delete_draft_campaign",
    "list_campaigns",
    "list_for_citizens",
    "load_view",
    "open_campaign",
    "open_view",
    "outcome_audience",
    "publish_outcome",
    "refused",
    "results_visible",
    "scheduled_transitions",
    "set_outcome",
    "spec_of",
    "update_draft_campaign",
    "voted_campaigns",
    "voter_ids",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_SUGGESTION = 50
MAX_POLL_OPTIONS = 12
_BALLOTS_KEPT = 256
_BALLOTS: dict[tuple[int, str], tuple[BallotView, ...]] = {}


def refused(reason: str, **info: object) -> Refusal:
    """A 你点我检 refusal; its sentences are templates/campaigns/campaign_refused.html.j2."""
    return Refusal("campaign_refused", reason, **info)


def _bad_state(campaign: Campaign, wanted: str) -> Refusal:
    # Plain values only: the refusal outlives the session that loaded the campaign.
    return refused("bad_state", campaign_id=campaign.id, status=campaign.status, wanted=wanted)


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a ballot, as plain values."""

    id: int
    label: str


@dataclass(frozen=True, slots=True)
class BallotView:
    """A ballot with its options in display order (plain values: they never change)."""

    id: int
    title: str
    max_choices: int
    options: tuple[Choice, ...]
    optional: bool = False


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign with its ballots, loaded once per unit of work."""

    campaign: Campaign
    ballots: tuple[BallotView, ...]

    @property
    def id(self) -> int:
        """The campaign id."""
        assert self.campaign.id is not None
        return self.campaign.id

    @property
    def townships(self) -> list[str]:
        """The 镇/街道 choices; empty when the question is not asked."""
        return [t for t in self.campaign.township_options.split("\n") if t]

    def option(self, option_id: int) -> tuple[BallotView, Choice] | None:
        """The ballot and option of an option id of this campaign, or None."""
        for view in self.ballots:
            for option in view.options:
                if option.id == option_id:
                    return view, option
        return None

    def chosen(self, option_ids: Sequence[int]) -> list[tuple[BallotView, list[Choice]]]:
        """Per ballot, the chosen options in display order."""
        wanted = set(option_ids)
        return [(v, [o for o in v.options if o.id in wanted]) for v in self.ballots]


@dataclass(frozen=True, slots=True)
class BallotState:
    """What a voter's ballot shows: the draft choices and what is recorded."""

    view: CampaignView
    selected: tuple[int, ...]
    township: str | None
    recorded: Vote | None


@dataclass(frozen=True, slots=True)
class Recorded:
    """A stored vote and exactly what it holds."""

    view: CampaignView
    vote: Vote
    option_ids: tuple[int, ...]
    replaced: bool


@dataclass(frozen=True, slots=True)
class Due:
    """Campaigns opened and closed by one sweep of automatic transitions."""

    opened: list[int]
    closed: list[int]


# --- loading and creating ---------------------------------------------------------------------


def _load_ballots(session: Session, campaign_id: int) -> tuple[BallotView, ...]:
    ballots = session.exec(
        select(Ballot).where(Ballot.campaign_id == campaign_id).order_by(col(Ballot.position))
    ).all()
    options = session.exec(
        select(BallotOption)
        .where(col(BallotOption.ballot_id).in_([b.id for b in ballots]))
        .order_by(col(BallotOption.ballot_id), col(BallotOption.position))
    ).all()
    return tuple(
        BallotView(
            b.id or 0,
            b.title,
            b.max_choices,
            tuple(Choice(o.id or 0, o.label) for o in options if o.ballot_id == b.id),
            b.optional,
        )
        for b in ballots
    )


def load_view(session: Session, campaign_id: int) -> CampaignView | None:
    """The campaign (read afresh) with its ballots and options, or None."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    # Ballots and options never change once stored, so they are read once per process; the
    # salt in the key tells apart a campaign that reuses a deleted draft's id.
    key = (campaign_id, campaign.salt)
    ballots = _BALLOTS.get(key)
    if ballots is None:
        ballots = _load_ballots(session, campaign_id)
        if len(_BALLOTS) >= _BALLOTS_KEPT:
            _BALLOTS.clear()
        _BALLOTS[key] = ballots
    return CampaignView(campaign, ballots)


def spec_of(view: CampaignView) -> CampaignSpec:
    """A stored campaign as a definition (for the preview)."""
    c = view.campaign
    return CampaignSpec(
        title=c.title,
        description=c.description,
        ballots=tuple(
            BallotSpec(b.title, tuple(o.label for o in b.options), b.max_choices, b.optional)
            for b in view.ballots
        ),
        townships=tuple(view.townships),
        starts_at=as_utc(c.starts_at) if c.starts_at else None,
        ends_at=as_utc(c.ends_at) if c.ends_at else None,
        vote_rule=c.vote_rule,
        results_visibility=c.results_visibility,
        allow_suggestions=c.allow_suggestions,
    )


def _columns(spec: CampaignSpec) -> dict[str, Any]:
    """The campaign row's columns that a definition sets."""
    return {
        "title": spec.title,
        "description": spec.description,
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "vote_rule": spec.vote_rule,
        "results_visibility": spec.results_visibility,
        "allow_suggestions": spec.allow_suggestions,
        "township_options": "\n".join(spec.townships),
    }


def create_campaign(session: Session, spec: CampaignSpec, *, created_by: int) -> Campaign:
    """Store a validated definition as a draft campaign."""
    campaign = Campaign(**_columns(spec), created_by=created_by)
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    _add_ballots(session, campaign.id, spec.ballots)
    session.commit()
    return campaign


def _add_ballots(session: Session, campaign_id: int, ballots: Sequence[BallotSpec]) -> None:
    for position, item in enumerate(ballots):
        ballot = Ballot(
            campaign_id=campaign_id,
            position=position,
            title=item.title,
            max_choices=item.max_choices,
            optional=item.optional,
        )
        session.add(ballot)
        session.flush()
        for index, text in enumerate(item.options):
            session.add(BallotOption(ballot_id=ballot.id, position=index, label=text))  # type: ignore[arg-type]


def _delete_ballots(session: Session, campaign_id: int) -> None:
    ballot_ids = select(Ballot.id).where(Ballot.campaign_id == campaign_id)
    session.exec(delete(BallotOption).where(col(BallotOption.ballot_id).in_(ballot_ids)))
    session.exec(delete(Ballot).where(col(Ballot.campaign_id) == campaign_id))


def update_draft_campaign(session: Session, campaign_id: int, spec: CampaignSpec) -> Campaign:
    """Replace a draft's definition (its questions too); refused once it has opened."""
    # Claimed by status in one UPDATE: a draft opened meanwhile by the bot is not changed.
    # A new salt renews the key of the per-process ballot cache (load_view), so every
    # process reads the new questions; a draft has no votes whose pseudonyms it would change.
    claimed = session.exec(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id, col(Campaign.status) == "draft")
        .values(**_columns(spec), salt=secrets.token_hex(16))  # as Campaign.salt's default
    )
    if claimed.rowcount != 1:
        session.rollback()
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise refused("not_found", campaign_id=campaign_id)
        raise _bad_state(campaign, "draft")
    _delete_ballots(session, campaign_id)
    _add_ballots(session, campaign_id, spec.ballots)
    session.commit()
    return _fresh(session, campaign_id)


def list_campaigns(session: Session, limit: int = 30) -> list[tuple[Campaign, int]]:
    """The newest campaigns with their number of voters (for staff)."""
    campaigns = session.exec(select(Campaign).order_by(col(Campaign.id).desc()).limit(limit)).all()
    counts = dict(
        session.exec(
            select(Vote.campaign_id, func.count(func.distinct(Vote.user_id))).group_by(
                col(Vote.campaign_id)
            )
        ).all()
    )
    return [(c, int(counts.get(c.id or 0, 0))) for c in campaigns]


def list_for_citizens(
    session: Session, *, now: datetime, user_id: int, limit: int = 5
) -> tuple[list[Campaign], list[Campaign]]:
    """Open campaigns, and finished ones whose results this user may see."""
    rows = session.exec(
        select(Campaign)
        .where(col(Campaign.status).in_(("open", "closed", "published")))
        .order_by(col(Campaign.id).desc())
    ).all()
    voted = voted_campaigns(session, user_id)
    open_now = [c for c in rows if c.status == "open" and _in_window(c, now)]
    finished = [c for c in rows if c not in open_now and results_visible(c, voted=c.id in voted)]
    return open_now, finished[:limit]


def voted_campaigns(session: Session, user_id: int) -> set[int]:
    """The campaigns this user voted in (ballot or poll)."""
    rows = session.exec(select(Vote.campaign_id).where(Vote.user_id == user_id).distinct())
    return set(rows.all())


def results_visible(campaign: Campaign, *, voted: bool) -> bool:
    """May this user see the tally now? Live: anyone; after close: those who voted; never."""
    if campaign.results_visibility == "live":
        return campaign.status in ("open", "closed", "published")
    if campaign.results_visibility == "after_close":
        return voted and campaign.status in ("closed", "published")
    return False


def delete_draft_campaign(session: Session, campaign_id: int) -> bool:
    """Delete a campaign that never opened; False otherwise."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "draft":
        return False
    _delete_ballots(session, campaign_id)
    session.delete(campaign)
    session.commit()
    return True


# --- state transitions (claimed in the database: one worker wins) -----------------------------


def _claim(session: Session, campaign_id: int, old: str, new: str, **values: object) -> bool:
    result = session.exec(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id, col(Campaign.status) == old)
        .values(status=new, **values)
    )
    session.commit()
    return bool(result.rowcount == 1)


def _fresh(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id, populate_existing=True)
    if campaign is None:
        raise refused("not_found", campaign_id=campaign_id)
    return campaign


def open_campaign(session: Session, campaign_id: int, *, now: datetime) -> Campaign:
    """draft -> open; refused when it is not a draft or its end time has passed."""
    campaign = _fresh(session, campaign_id)
    if campaign.status != "draft":
        raise _bad_state(campaign, "draft")
    if campaign.ends_at is not None and as_utc(campaign.ends_at) <= now:
        raise refused("ended", campaign_id=campaign_id)
    if not _claim(session, campaign_id, "draft", "open", opened_at=now):
        raise _bad_state(_fresh(session, campaign_id), "draft")
    return _fresh(session, campaign_id)


def close_campaign(session: Session, campaign_id: int, *, now: datetime) -> Campaign:
    """open -> closed; every later vote is refused."""
    campaign = _fresh(session, campaign_id)
    if campaign.status != "open" or not _claim(
        session, campaign_id, "open", "closed", closed_at=now
    ):
        raise _bad_state(_fresh(session, campaign_id), "open")
    return _fresh(session, campaign_id)


def apply_due(session: Session, *, now: datetime) -> Due:
    """Open drafts whose start has come and close open campaigns whose end has passed."""
    due = Due([], [])
    rows = session.exec(select(Campaign).where(col(Campaign.status).in_(("draft", "open")))).all()
    for c in rows:
        assert c.id is not None
        ended = c.ends_at is not None and as_utc(c.ends_at) <= now
        started = c.starts_at is not None and as_utc(c.starts_at) <= now
        if c.status == "draft" and started and not ended:
            due.opened.extend(
                [c.id] if _claim(session, c.id, "draft", "open", opened_at=now) else []
            )
        elif c.status == "open" and ended:
            due.closed.extend(
                [c.id] if _claim(session, c.id, "open", "closed", closed_at=now) else []
            )
    return due


def scheduled_transitions(session: Session) -> list[tuple[int, str, datetime]]:
    """(campaign id, "open" | "close", when) for every automatic transition still ahead."""
    rows = session.exec(select(Campaign).where(col(Campaign.status).in_(("draft", "open")))).all()
    plan: list[tuple[int, str, datetime]] = []
    for c in rows:
        assert c.id is not None
        if c.status == "draft" and c.starts_at is not None:
            plan.append((c.id, "open", as_utc(c.starts_at)))
        if c.ends_at is not None:
            plan.append((c.id, "close", as_utc(c.ends_at)))
    return plan


# --- windows ---------------------------------------------------------------------------------


def _in_window(campaign: Campaign, now: datetime) -> bool:
    return campaign.ends_at is None or now < as_utc(campaign.ends_at)


def open_view(session: Session, campaign_id: int, now: datetime) -> CampaignView:
    """The campaign, if voting is open now; refused (not found, not open, closed) otherwise."""
    view = load_view(session, campaign_id)
    if view is None:
        raise refused("not_found", campaign_id=campaign_id)
    status = view.campaign.status
    if status == "draft":
        raise refused("not_open", campaign_id=campaign_id)
    if status != "open" or not _in_window(view.campaign, now):
        raise refused("closed", campaign_id=campaign_id)
    return view


# --- announcing and publishing ------------------------------------------------------------------


def voter_ids(session: Session, campaign_id: int) -> list[int]:
    """Everyone who voted in the campaign (ballot or poll), once each."""
    rows = session.exec(
        select(Vote.user_id)
        .where(Vote.campaign_id == campaign_id)
        .distinct()
        .order_by(col(Vote.user_id))
    ).all()
    return list(rows)


def _existing(session: Session, key: str) -> bool:
    return find_broadcast(session, key) is not None


def _announce_key(campaign_id: int) -> str:
    return f"campaign:{campaign_id}:announce"


def announce_preview(
    session: Session, campaign_id: int, *, now: datetime
) -> tuple[CampaignView, int, Broadcast | None]:
    """Before announcing: the open campaign, how many subscribers it reaches, an earlier one."""
    view = open_view(session, campaign_id, now)
    earlier = find_broadcast(session, _announce_key(campaign_id))
    return view, audience_size(session, "campaigns"), earlier


def announce(
    session: Session,
    campaign_id: int,
    *,
    text: str,
    admin_id: int,
    chat_id: int,
    now: datetime,
    night: bool = False,
) -> tuple[Broadcast, bool]:
    """Queue the announcement to 'campaigns' subscribers once; (broadcast, already queued).

    It waits for the end of quiet hours unless staff chose to send at night.
    """
    open_view(session, campaign_id, now)
    key = _announce_key(campaign_id)
    already = _existing(session, key)
    broadcast = create_broadcast(
        session,
        kind="campaign_announce",
        text=text,
        topic="campaigns",
        key=key,
        created_by=admin_id,
        progress_chat_id=chat_id,
        respect_quiet_hours=not night,
    )
    return broadcast, already


def set_outcome(
    session: Session,
    campaign_id: int,
    *,
    text: str,
    file_id: str | None = None,
    file_name: str | None = None,
) -> Campaign:
    """Store the sampling outcome to publish (a closed campaign; changeable until published)."""
    campaign = _fresh(session, campaign_id)
    if campaign.status == "published":
        raise _already_published(session, campaign)
    if campaign.status != "closed":
        raise _bad_state(campaign, "closed")
    campaign.outcome_text = text
    campaign.outcome_file_id, campaign.outcome_file_name = file_id, file_name
    session.add(campaign)
    session.commit()
    return campaign


def _publish_key(campaign_id: int) -> str:
    return f"campaign:{campaign_id}:publish"


def _already_published(session: Session, campaign: Campaign) -> Refusal:
    assert campaign.id is not None
    sent = find_broadcast(session, _publish_key(campaign.id))
    return refused(
        "published",
        campaign_id=campaign.id,
        published_at=as_utc(campaign.published_at) if campaign.published_at else None,
        broadcast_id=sent.id if sent else None,
    )


def outcome_audience(session: Session, campaign_id: int) -> int:
    """How many chats the outcome reaches: the voters and the 'results' subscribers, once each."""
    return audience_size(session, "results", voter_ids(session, campaign_id))


def publish_outcome(
    session: Session,
    campaign_id: int,
    *,
    text: str,
    admin_id: int,
    chat_id: int,
    now: datetime,
    night: bool = False,
) -> tuple[Campaign, Broadcast, bool]:
    """Queue the outcome to every voter and 'results' subscribers once; mark it published.

    It waits for the end of quiet hours unless staff chose to send at night.
    """
    campaign = _fresh(session, campaign_id)
    if campaign.status not in ("closed", "published") or not campaign.outcome_text:
        raise _bad_state(campaign, "closed")
    key = _publish_key(campaign_id)
    already = campaign.status == "published" or _existing(session, key)
    # The broadcast first: if we stop between the two steps, a retry still finds it by key.
    broadcast = create_broadcast(
        session,
        kind="campaign_publish",
        text=text,
        topic="results",
        recipients=voter_ids(session, campaign_id),
        key=key,
        created_by=admin_id,
        progress_chat_id=chat_id,
        document_file_id=campaign.outcome_file_id,
        document_name=campaign.outcome_file_name,
        respect_quiet_hours=not night,
    )
    _claim(session, campaign_id, "closed", "published", published_at=now)
    return _fresh(session, campaign_id), broadcast, already
