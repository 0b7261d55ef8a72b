"""Campaign rows for console tests and the bench: a campaign from YAML, votes as rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from bot.campaigns.services import SHANGHAI, create_campaign, load_view
from bot.campaigns.spec import load_definition_bytes
from bot.models import Vote, VoteChoice
from tests.conftest import ADMIN

CAMPAIGN = """\
title: 春季你点我检
description: 请选出您最关心的食品。
ballots:
  - title: 食品品种
    max_choices: 2
    options: [猪肉, 蔬菜, 水果]
  - title: 抽样场所
    options: [超市, 农贸市场]
"""


def make_campaign(session: Session, text: str = CAMPAIGN) -> int:
    """A draft campaign; returns its id."""
    now = datetime.now(UTC)
    spec = load_definition_bytes(text.encode(), "c.yaml", now=now, tz=SHANGHAI)
    campaign = create_campaign(session, spec, created_by=ADMIN)
    assert campaign.id is not None
    return campaign.id


def add_votes(session: Session, campaign_id: int, picks: dict[int, list[int]]) -> None:
    """user id -> option positions counted over all ballots (0 = first option of ballot 1)."""
    view = load_view(session, campaign_id)
    assert view is not None
    options = [(b.id, o.id) for b in view.ballots for o in b.options]
    for user_id, positions in picks.items():
        vote = Vote(campaign_id=campaign_id, user_id=user_id)
        session.add(vote)
        session.flush()
        assert vote.id is not None
        for p in positions:
            ballot_id, option_id = options[p]
            session.add(VoteChoice(vote_id=vote.id, option_id=option_id, ballot_id=ballot_id))
    session.commit()
