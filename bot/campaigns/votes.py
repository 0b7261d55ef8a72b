"""你点我检 voting: ballots, toggles, one-transaction submits, native polls, 其他建议."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.campaigns.services import (
    MAX_POLL_OPTIONS,
    MAX_SUGGESTION,
    SHANGHAI,
    BallotState,
    BallotView,
    CampaignView,
    Recorded,
    open_view,
    refused,
)
from bot.db import ensure_row, is_postgres
from bot.models import (
    Campaign,
    CampaignPoll,
    Suggestion,
    Vote,
    VoteChoice,
    VoteDraft,
    as_utc,
)

__all__ = [
    "await_suggestion",
    "ballot_state",
    "campaign_polls",
    "choose_none",
    "day_key",
    "open_ballot",
    "poll_target",
    "record_poll",
    "record_poll_answer",
    "save_suggestion",
    "set_township",
    "submit",
    "suggestion_target",
    "toggle",
]

_RETRIES = 3
T = TypeVar("T")


# --- voting -------------------------------------------------------------------------------------


def day_key(campaign: Campaign, now: datetime, tz: ZoneInfo = SHANGHAI) -> str:
    """'' under the per-campaign rule; the local date (turning over at midnight) per day."""
    return now.astimezone(tz).date().isoformat() if campaign.vote_rule == "daily" else ""


def _ids(text: str) -> list[int]:
    return [int(p) for p in text.split(",") if p]


# The statements of the vote path are built once: building them costs more than running them.
_VOTE = select(Vote).where(
    col(Vote.campaign_id) == bindparam("campaign"),
    col(Vote.user_id) == bindparam("user"),
    col(Vote.day) == bindparam("day"),
)
_DRAFT = select(VoteDraft).where(
    col(VoteDraft.campaign_id) == bindparam("campaign"),
    col(VoteDraft.user_id) == bindparam("user"),
)
_CHOICES = select(VoteChoice.option_id).where(col(VoteChoice.vote_id) == bindparam("vote"))
_CLEAR_CHOICES = delete(VoteChoice).where(col(VoteChoice.vote_id) == bindparam("vote"))
_LOCKED = {id(q): q.with_for_update() for q in (_VOTE, _DRAFT)}


def _locked(session: Session, query: SelectOfScalar[T]) -> SelectOfScalar[T]:
    # Row locks serialise one voter's concurrent taps on PostgreSQL; SQLite locks the database.
    return _LOCKED[id(query)] if is_postgres(session.get_bind()) else query  # type: ignore[arg-type, return-value]


def _current(session: Session, view: CampaignView, user_id: int, day: str) -> Vote | None:
    params = {"campaign": view.id, "user": user_id, "day": day}
    return session.exec(_locked(session, _VOTE), params=params).first()


def _choices(session: Session, vote: Vote | None) -> list[int]:
    if vote is None:
        return []
    return list(session.exec(_CHOICES, params={"vote": vote.id}).all())


def _draft(
    session: Session, view: CampaignView, user_id: int, now: datetime, tz: ZoneInfo
) -> VoteDraft:
    params = {"campaign": view.id, "user": user_id}
    draft = session.exec(_locked(session, _DRAFT), params=params).first()
    if draft is None:
        vote = _current(session, view, user_id, day_key(view.campaign, now, tz))
        # A first tap may race another worker's: insert if absent, then lock what is stored.
        ensure_row(
            session,
            VoteDraft(
                campaign_id=view.id,
                user_id=user_id,
                option_ids=",".join(map(str, _choices(session, vote))),
                township=vote.township if vote else None,
            ),
        )
        draft = session.exec(_locked(session, _DRAFT), params=params).one()
    return draft


def _state(
    session: Session, view: CampaignView, draft: VoteDraft, now: datetime, tz: ZoneInfo
) -> BallotState:
    recorded = _current(session, view, draft.user_id, day_key(view.campaign, now, tz))
    return BallotState(view, tuple(_ids(draft.option_ids)), draft.township, recorded)


def _save_draft(session: Session, draft: VoteDraft, now: datetime) -> None:
    draft.updated_at = now
    session.add(draft)
    session.commit()


def open_ballot(
    session: Session, campaign_id: int, *, user_id: int, now: datetime, tz: ZoneInfo = SHANGHAI
) -> BallotState:
    """Show the ballot again: unsubmitted ticks are kept (the draft row), unless they were
    made on an earlier voting day; otherwise it starts from what is recorded."""
    view = open_view(session, campaign_id, now)
    vote = _current(session, view, user_id, day_key(view.campaign, now, tz))
    draft = _draft(session, view, user_id, now, tz)
    today = day_key(view.campaign, now, tz)
    if day_key(view.campaign, as_utc(draft.updated_at), tz) != today:
        draft.option_ids = ",".join(map(str, _choices(session, vote)))
        draft.township = vote.township if vote else None
    draft.suggest_ballot_id = draft.suggest_prompt_id = None
    _save_draft(session, draft, now)
    return BallotState(view, tuple(_ids(draft.option_ids)), draft.township, vote)


def ballot_state(
    session: Session, campaign_id: int, *, user_id: int, now: datetime, tz: ZoneInfo = SHANGHAI
) -> BallotState:
    """The ballot as it stands (another page of it), changing nothing."""
    view = open_view(session, campaign_id, now)
    return _state(session, view, _draft(session, view, user_id, now, tz), now, tz)


def toggle(
    session: Session,
    campaign_id: int,
    *,
    user_id: int,
    option_id: int,
    now: datetime,
    tz: ZoneInfo = SHANGHAI,
) -> BallotState:
    """Tick or untick one option; a single-choice ballot swaps, a full one refuses."""
    view = open_view(session, campaign_id, now)
    found = view.option(option_id)
    if found is None:
        raise refused("stale")
    ballot, _ = found
    draft = _draft(session, view, user_id, now, tz)
    selected = _ids(draft.option_ids)
    mine = [o.id for o in ballot.options if o.id in selected]
    if option_id in selected:
        selected.remove(option_id)
    elif ballot.max_choices == 1:
        selected = [o for o in selected if o not in mine] + [option_id]
    elif len(mine) >= ballot.max_choices:
        session.rollback()
        raise refused("too_many", most=ballot.max_choices, ballot=ballot.title)
    else:
        selected.append(option_id)
    draft.option_ids = ",".join(map(str, selected))
    _save_draft(session, draft, now)
    return _state(session, view, draft, now, tz)


def choose_none(
    session: Session,
    campaign_id: int,
    *,
    user_id: int,
    ballot_id: int,
    now: datetime,
    tz: ZoneInfo = SHANGHAI,
) -> tuple[BallotState, int]:
    """都不选/不适用 on an optional question: its ticks are cleared; (state, its page)."""
    view = open_view(session, campaign_id, now)
    pages = [i for i, b in enumerate(view.ballots) if b.id == ballot_id and b.optional]
    if not pages:
        raise refused("stale")
    ballot = view.ballots[pages[0]]
    draft = _draft(session, view, user_id, now, tz)
    mine = {o.id for o in ballot.options}
    draft.option_ids = ",".join(str(o) for o in _ids(draft.option_ids) if o not in mine)
    _save_draft(session, draft, now)
    return _state(session, view, draft, now, tz), pages[0]


def set_township(
    session: Session,
    campaign_id: int,
    *,
    user_id: int,
    index: int,
    now: datetime,
    tz: ZoneInfo = SHANGHAI,
) -> BallotState:
    """Choose the voter's 镇/街道 (by its position in the campaign's list)."""
    view = open_view(session, campaign_id, now)
    towns = view.townships
    if not 0 <= index < len(towns):
        raise refused("stale")
    draft = _draft(session, view, user_id, now, tz)
    draft.township = towns[index]
    _save_draft(session, draft, now)
    return _state(session, view, draft, now, tz)


def _check_choices(view: CampaignView, option_ids: Sequence[int]) -> None:
    if len(set(option_ids)) != len(option_ids) or any(view.option(o) is None for o in option_ids):
        raise refused("stale")
    for ballot, chosen in view.chosen(option_ids):
        if not chosen and not ballot.optional:
            raise refused("incomplete", ballot=ballot.title)
        if len(chosen) > ballot.max_choices:
            raise refused("too_many", most=ballot.max_choices, ballot=ballot.title)


def _store_vote(
    session: Session,
    view: CampaignView,
    *,
    user_id: int,
    day: str,
    option_ids: Sequence[int],
    township: str | None,
    source: str,
    now: datetime,
) -> tuple[Vote, bool]:
    """Replace the voter's vote for (campaign, day) in the caller's transaction."""
    vote = _current(session, view, user_id, day)
    replaced = vote is not None
    if vote is None:
        vote = Vote(campaign_id=view.id, user_id=user_id, day=day)
    else:
        session.exec(_CLEAR_CHOICES, params={"vote": vote.id})
    vote.township, vote.source, vote.submitted_at = township, source, now
    session.add(vote)
    session.flush()  # a concurrent insert of the same key fails here; the caller retries
    rows = []
    for option_id in option_ids:
        found = view.option(option_id)
        assert found is not None
        rows.append({"vote_id": vote.id, "option_id": option_id, "ballot_id": found[0].id})
    session.exec(insert(VoteChoice), params=rows)  # executemany: one compiled statement
    return vote, replaced


def _retrying(session: Session, work: Callable[[], T]) -> T:
    """Run work and commit; a unique-key race with another worker is retried on fresh rows."""
    for attempt in range(_RETRIES):
        try:
            result = work()
            session.commit()
            return result
        except IntegrityError:
            session.rollback()
            if attempt + 1 == _RETRIES:
                raise
    raise AssertionError("unreachable")


def submit(
    session: Session, campaign_id: int, *, user_id: int, now: datetime, tz: ZoneInfo = SHANGHAI
) -> Recorded:
    """Record the voter's draft as their vote, replacing the earlier one (same campaign/day)."""

    def work() -> Recorded:
        view = open_view(session, campaign_id, now)
        draft = _draft(session, view, user_id, now, tz)
        selected = _ids(draft.option_ids)
        _check_choices(view, selected)
        if view.townships and draft.township not in view.townships:
            raise refused("township_missing")
        vote, replaced = _store_vote(
            session,
            view,
            user_id=user_id,
            day=day_key(view.campaign, now, tz),
            option_ids=selected,
            township=draft.township,
            source="ballot",
            now=now,
        )
        return Recorded(view, vote, tuple(selected), replaced)

    return _retrying(session, work)


# --- native polls (single-ballot campaigns) ------------------------------------------------------


def poll_target(session: Session, campaign_id: int, *, now: datetime) -> CampaignView:
    """The campaign a native poll may be posted for: open, one ballot, at most 12 options."""
    view = open_view(session, campaign_id, now)
    if len(view.ballots) != 1 or len(view.ballots[0].options) > MAX_POLL_OPTIONS:
        raise refused("poll_unsuitable", campaign_id=campaign_id)
    return view


def record_poll(
    session: Session, view: CampaignView, *, poll_id: str, chat_id: int, message_id: int
) -> CampaignPoll:
    """Remember a posted poll and which option each of its answers means."""
    ballot = view.ballots[0]
    row = CampaignPoll(
        poll_id=poll_id,
        campaign_id=view.id,
        ballot_id=ballot.id,
        chat_id=chat_id,
        message_id=message_id,
        option_ids=",".join(str(o.id) for o in ballot.options),
    )
    session.add(row)
    session.commit()
    return row


def record_poll_answer(
    session: Session,
    poll_id: str,
    *,
    user_id: int,
    answer: Sequence[int],
    now: datetime,
    tz: ZoneInfo = SHANGHAI,
) -> Recorded | None:
    """A poll answer joins the tally as that person's vote; a retraction removes a poll vote."""
    poll = session.get(CampaignPoll, poll_id)
    if poll is None:
        return None
    options = _ids(poll.option_ids)

    def work() -> Recorded | None:
        view = open_view(session, poll.campaign_id, now)
        day = day_key(view.campaign, now, tz)
        if not answer:
            vote = _current(session, view, user_id, day)
            if vote is not None and vote.source == "poll":
                session.delete(vote)
            return None
        if any(not 0 <= i < len(options) for i in answer):
            raise refused("stale")
        chosen = [options[i] for i in answer]
        _check_choices(view, chosen)
        earlier = _current(session, view, user_id, day)
        vote, replaced = _store_vote(
            session,
            view,
            user_id=user_id,
            day=day,
            option_ids=chosen,
            township=earlier.township if earlier else None,
            source="poll",
            now=now,
        )
        return Recorded(view, vote, tuple(chosen), replaced)

    return _retrying(session, work)


def campaign_polls(session: Session, campaign_id: int) -> list[CampaignPoll]:
    """The native polls posted for a campaign (stopped when it closes)."""
    return list(
        session.exec(select(CampaignPoll).where(CampaignPoll.campaign_id == campaign_id)).all()
    )


# --- 其他建议 -----------------------------------------------------------------------------------


def suggestion_target(
    session: Session, campaign_id: int, *, ballot_id: int, now: datetime
) -> BallotView:
    """The ballot a suggestion is for, when the campaign is open and takes suggestions."""
    view = open_view(session, campaign_id, now)
    ballot = next((b for b in view.ballots if b.id == ballot_id), None)
    if ballot is None or not view.campaign.allow_suggestions:
        raise refused("stale")
    return ballot


def await_suggestion(
    session: Session,
    campaign_id: int,
    *,
    user_id: int,
    ballot_id: int,
    prompt_id: int,
    now: datetime,
    tz: ZoneInfo = SHANGHAI,
) -> None:
    """Remember that the reply to prompt_id is this voter's suggestion for ballot_id."""
    view = open_view(session, campaign_id, now)
    draft = _draft(session, view, user_id, now, tz)
    draft.suggest_ballot_id, draft.suggest_prompt_id = ballot_id, prompt_id
    _save_draft(session, draft, now)


def save_suggestion(
    session: Session, *, user_id: int, prompt_id: int, text: str, now: datetime
) -> tuple[Campaign, BallotView, Suggestion]:
    """Keep the reply to a suggestion prompt (<= 50 characters; one per voter and ballot)."""
    draft = session.exec(
        select(VoteDraft).where(
            VoteDraft.user_id == user_id, VoteDraft.suggest_prompt_id == prompt_id
        )
    ).first()
    if draft is None or draft.suggest_ballot_id is None:
        raise refused("stale")
    view = open_view(session, draft.campaign_id, now)
    ballot = next((b for b in view.ballots if b.id == draft.suggest_ballot_id), None)
    text = " ".join(text.split())
    if ballot is None:
        raise refused("stale")
    if not text:
        raise refused("suggestion_empty")
    if len(text) > MAX_SUGGESTION:
        raise refused("suggestion_long", limit=MAX_SUGGESTION, length=len(text))
    row = session.exec(
        select(Suggestion).where(
            Suggestion.campaign_id == view.id,
            Suggestion.ballot_id == ballot.id,
            Suggestion.user_id == user_id,
        )
    ).first() or Suggestion(campaign_id=view.id, ballot_id=ballot.id, user_id=user_id, text=text)
    row.text, row.at = text, now
    draft.suggest_ballot_id = draft.suggest_prompt_id = None
    session.add_all([row, draft])
    session.commit()
    return view.campaign, ballot, row
