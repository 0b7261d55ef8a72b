from __future__ import annotations

import argparse
import dataclasses
import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from bot.broadcasts.services import progress
from bot.campaigns import builder, votes
from bot.campaigns import services as svc
from bot.campaigns.cli import run_campaign_command
from bot.campaigns.exports import CHART_KEY, chart_pngs, workbook_bytes
from bot.campaigns.results import pseudonym, raw_votes, tally
from bot.campaigns.spec import BallotSpec, CampaignSpec, load_definition, load_definition_bytes
from bot.charts import AXIS_KEY
from bot.db import create_tables, make_engine, session_scope
from bot.kit.refusal import Refusal
from bot.models import (
    Broadcast,
    Campaign,
    Delivery,
    Suggestion,
    User,
    Vote,
    VoteDraft,
)
from bot.tips.subscriptions import set_topic
from knowledge.yamlfile import DataError
from tests.conftest import ADMIN, make_settings

EXAMPLE = Path(__file__).parents[2] / "examples" / "campaign.yaml"
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def make_spec(**changes: object) -> CampaignSpec:
    values: dict[str, object] = {
        "title": "春季你点我检",
        "ballots": (
            BallotSpec("食品品种", ("猪肉", "蔬菜", "水果", "鸡蛋"), 2),
            BallotSpec("抽样场所", ("超市", "农贸市场", "网店"), 1),
        ),
        "townships": ("城关街道", "东城街道"),
        "allow_suggestions": True,
    }
    values.update(changes)
    return CampaignSpec(**values)  # type: ignore[arg-type]


def opened(session: Session, **changes: object) -> svc.CampaignView:
    campaign = svc.create_campaign(session, make_spec(**changes), created_by=ADMIN)
    assert campaign.id is not None
    svc.open_campaign(session, campaign.id, now=T0)
    view = svc.load_view(session, campaign.id)
    assert view is not None
    return view


def option(view: svc.CampaignView, text: str) -> int:
    found = [o.id for b in view.ballots for o in b.options if o.label == text]
    assert len(found) == 1 and found[0] is not None
    return found[0]


def vote(
    session: Session,
    view: svc.CampaignView,
    user: int,
    choices: list[str],
    town: int | None = 0,
    at: datetime = T0,
) -> svc.Recorded:
    state = votes.open_ballot(session, view.id, user_id=user, now=at)
    for option_id in state.selected:  # start from an empty ballot
        votes.toggle(session, view.id, user_id=user, option_id=option_id, now=at)
    for text in choices:
        votes.toggle(session, view.id, user_id=user, option_id=option(view, text), now=at)
    if town is not None and view.townships:
        votes.set_township(session, view.id, user_id=user, index=town, now=at)
    return votes.submit(session, view.id, user_id=user, now=at)


def counts(session: Session, campaign_id: int) -> dict[str, dict[str, int]]:
    results = tally(session, campaign_id)
    assert results is not None
    return {b.title: {r.label: r.count for r in b.rows} for b in results.ballots}


# --- definitions ------------------------------------------------------------------------------


def test_example_file_loads_with_local_times_in_utc() -> None:
    spec = load_definition(EXAMPLE, now=T0 - timedelta(days=30), tz=TZ)
    assert spec.title == "2027年春季“你点我检”食品安全抽检"
    assert [b.title for b in spec.ballots] == ["食品品种", "抽样场所", "检验项目", "网络平台"]
    assert [b.max_choices for b in spec.ballots] == [3, 2, 2, 1]
    assert spec.starts_at == datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # 08:00 Beijing
    assert spec.ends_at == datetime(2027, 3, 20, 12, 0, tzinfo=UTC)  # 20:00 Beijing
    assert spec.townships[0] == "城关街道"
    assert spec.allow_suggestions is True
    assert spec.vote_rule == "campaign"
    assert spec.results_visibility == "after_close"


BAD_YAML = """\
title: ""
ballots:
  - title: 食品
    options: [猪肉]
  - title: 场所
    options: [超市, 网店, 超市]
    colour: red
  - title: 项目
    options: [农残, 兽残]
    max_choices: 3
vote_rule: weekly
results: sometimes
suggestions: maybe
townships: [城关]
ends_at: 2027-02-01 10:00
"""


def test_bad_file_names_every_field_and_line() -> None:
    with pytest.raises(DataError) as caught:
        load_definition_bytes(BAD_YAML.encode(), "spring.yaml", now=T0, tz=TZ)
    assert caught.value.problems == [
        "spring.yaml:1: title：标题不能为空",
        "spring.yaml:4: ballots[1].options：选项应有 2-30 个（现有 1 个）",
        "spring.yaml:7: ballots[2].colour："
        "未知字段（可用：title, options, max_choices, optional）",
        "spring.yaml:6: ballots[2].options：选项重复：超市",
        "spring.yaml:10: ballots[3].max_choices：最多可选数应在 1 到 2 之间（现为 3）",
        "spring.yaml:14: townships：镇/街道应有 2-40 个（现有 1 个）",
        "spring.yaml:11: vote_rule：投票规则应为 campaign / daily 之一（现为 'weekly'）",
        "spring.yaml:12: results：结果公开方式应为 live / after_close / never 之一"
        "（现为 'sometimes'）",
        "spring.yaml:13: suggestions：应为 true 或 false（现为 'maybe'）",
        "spring.yaml:15: ends_at：结束时间已过",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("title: t\nstarts_at: 2027-13-01\n", "x.yaml:2: 日期无效：月份应在 1-12 之间"),
        ("title: t\nstarts_at: 2027-02-30\n", "x.yaml:2: 日期无效：这个月没有这一天"),
        (
            "title: {a: b\n",
            "x.yaml:2: YAML 语法错误：花括号 { } 没有闭合，或项目之间缺少英文逗号“,”",
        ),
        ("- just\n- a list\n", "x.yaml:1: 文件：应为键值对（title: ...、ballots: ... 等）"),
        ("title: t\nballots: []\n", "x.yaml:2: ballots：至少需要一个问题（ballots: 列表）"),
        (
            "title: t\nballots: [{title: a, options: [x, y]}]\nstarts_at: 2027-05-01\n"
            "ends_at: 2027-04-01\n",
            "x.yaml:4: ends_at：结束时间应晚于开始时间",
        ),
        (
            "title: t\nballots: [{title: a, options: [x, y]}]\nends_at: next week\n",
            "x.yaml:3: ends_at：时间应写成 YYYY-MM-DD HH:MM（年-月-日 时:分），现为 'next week'",
        ),
    ],
    ids=[
        "impossible-date",
        "no-such-day",
        "unclosed-brace",
        "not-a-mapping",
        "no-ballots",
        "end-before-start",
        "bad-time",
    ],
)
def test_bad_file_single_problem(text: str, problem: str) -> None:
    with pytest.raises(DataError) as caught:
        load_definition_bytes(text.encode(), "x.yaml", now=T0, tz=TZ)
    assert caught.value.problems == [problem]


def test_syntax_error_names_its_line() -> None:
    with pytest.raises(DataError) as caught:
        load_definition_bytes(b"title: [a\nb: c\n", "x.yaml", now=T0, tz=TZ)
    # libyaml says "did not find expected ',' or ']'"; staff read Chinese.
    assert caught.value.problems == [
        "x.yaml:2: YAML 语法错误：方括号 [ ] 列表没有闭合，或项目之间缺少英文逗号“,”"
    ]


def test_bare_dates_mean_whole_days() -> None:
    text = (
        "title: t\nballots: [{title: a, options: [x, y]}]\n"
        "starts_at: 2027-03-01\nends_at: 2027-03-02\n"
    )
    spec = load_definition_bytes(text.encode(), "d.yaml", now=T0 - timedelta(days=9), tz=TZ)
    assert spec.starts_at == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)  # 3/1 00:00 Beijing
    assert spec.ends_at == datetime(2027, 3, 2, 16, 0, tzinfo=UTC)  # 3/3 00:00 Beijing


# --- voting -----------------------------------------------------------------------------------


def test_vote_is_recorded_and_replaced_on_change(session: Session) -> None:
    view = opened(session)
    first = vote(session, view, 1, ["猪肉", "蔬菜", "超市"])
    assert first.replaced is False
    again = vote(session, view, 1, ["水果", "网店"], town=1)
    assert again.replaced is True
    assert session.exec(select(Vote)).all() == [again.vote]
    assert again.vote.township == "东城街道"
    assert counts(session, view.id) == {
        "食品品种": {"水果": 1, "猪肉": 0, "蔬菜": 0, "鸡蛋": 0},
        "抽样场所": {"网店": 1, "超市": 0, "农贸市场": 0},
    }


def test_reopening_keeps_unsubmitted_toggles(session: Session) -> None:
    view = opened(session)
    recorded = vote(session, view, 1, ["猪肉", "超市"])
    votes.toggle(session, view.id, user_id=1, option_id=option(view, "鸡蛋"), now=T0)
    state = votes.open_ballot(session, view.id, user_id=1, now=T0 + timedelta(hours=3))
    assert state.selected == (*recorded.option_ids, option(view, "鸡蛋"))  # not lost
    assert state.township == "城关街道"
    assert state.recorded is not None and state.recorded.id == recorded.vote.id


def test_per_day_ballot_starts_from_todays_vote_the_next_day(session: Session) -> None:
    view = opened(session, vote_rule="daily")
    vote(session, view, 1, ["猪肉", "超市"])
    votes.toggle(session, view.id, user_id=1, option_id=option(view, "鸡蛋"), now=T0)
    state = votes.open_ballot(session, view.id, user_id=1, now=T0 + timedelta(days=1))
    assert (state.selected, state.township, state.recorded) == ((), None, None)


def test_single_choice_ballot_swaps_and_full_ballot_refuses(session: Session) -> None:
    view = opened(session)
    votes.open_ballot(session, view.id, user_id=1, now=T0)
    for text in ("超市", "网店"):
        state = votes.toggle(session, view.id, user_id=1, option_id=option(view, text), now=T0)
    assert state.selected == (option(view, "网店"),)
    for text in ("猪肉", "蔬菜"):
        votes.toggle(session, view.id, user_id=1, option_id=option(view, text), now=T0)
    with pytest.raises(Refusal) as caught:
        votes.toggle(session, view.id, user_id=1, option_id=option(view, "水果"), now=T0)
    assert (caught.value.reason, caught.value.info) == (
        "too_many",
        {"most": 2, "ballot": "食品品种"},
    )
    draft = session.get(VoteDraft, (view.id, 1))
    assert draft is not None
    assert votes._ids(draft.option_ids) == [option(view, t) for t in ("网店", "猪肉", "蔬菜")]


def test_server_enforces_max_choices_even_on_a_forged_draft(session: Session) -> None:
    view = opened(session)
    ids = [option(view, t) for t in ("猪肉", "蔬菜", "水果", "超市")]
    session.add(
        VoteDraft(
            campaign_id=view.id, user_id=1, option_ids=",".join(map(str, ids)), township="城关街道"
        )
    )
    session.commit()
    with pytest.raises(Refusal) as caught:
        votes.submit(session, view.id, user_id=1, now=T0)
    assert caught.value.reason == "too_many"
    assert session.exec(select(Vote)).all() == []


@pytest.mark.parametrize(
    ("choices", "town", "reason"),
    [
        (["猪肉"], 0, "incomplete"),
        (["超市"], 0, "incomplete"),
        (["猪肉", "超市"], None, "township_missing"),
    ],
    ids=["second-ballot-empty", "first-ballot-empty", "no-township"],
)
def test_incomplete_ballots_are_refused(session: Session, choices, town, reason) -> None:
    view = opened(session)
    with pytest.raises(Refusal) as caught:
        vote(session, view, 1, choices, town=town)
    assert caught.value.reason == reason
    assert session.exec(select(Vote)).all() == []


def test_options_of_another_campaign_are_stale(session: Session) -> None:
    view = opened(session)
    other = opened(session, title="另一个活动")
    with pytest.raises(Refusal) as caught:
        votes.toggle(session, view.id, user_id=1, option_id=option(other, "猪肉"), now=T0)
    assert caught.value.reason == "stale"
    with pytest.raises(Refusal):
        votes.set_township(session, view.id, user_id=1, index=5, now=T0)


def test_window_and_state_are_enforced(session: Session) -> None:
    draft = svc.create_campaign(session, make_spec(), created_by=ADMIN)
    assert draft.id is not None
    with pytest.raises(Refusal) as caught:
        votes.open_ballot(session, draft.id, user_id=1, now=T0)
    assert caught.value.reason == "not_open"
    view = opened(session, ends_at=T0 + timedelta(hours=1))
    vote(session, view, 1, ["猪肉", "超市"])
    late = T0 + timedelta(hours=1)  # the close job has not run yet: the end time still counts
    with pytest.raises(Refusal) as caught:
        votes.submit(session, view.id, user_id=1, now=late)
    assert caught.value.reason == "closed"
    svc.close_campaign(session, view.id, now=late)
    for action in (
        lambda: votes.open_ballot(session, view.id, user_id=2, now=late),
        lambda: votes.toggle(
            session, view.id, user_id=1, option_id=option(view, "蔬菜"), now=late
        ),
        lambda: votes.submit(session, view.id, user_id=1, now=late),
    ):
        with pytest.raises(Refusal) as caught:
            action()
        assert caught.value.reason == "closed"
    with pytest.raises(Refusal):
        svc.load_view(session, 999) or votes.open_ballot(session, 999, user_id=1, now=T0)


def test_daily_rule_turns_over_at_midnight_beijing(session: Session) -> None:
    view = opened(session, vote_rule="daily")
    before = datetime(2027, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 on 3/1 in Beijing
    after = datetime(2027, 3, 1, 16, 1, tzinfo=UTC)  # 00:01 on 3/2 in Beijing
    vote(session, view, 1, ["猪肉", "超市"], at=before)
    changed = vote(session, view, 1, ["蔬菜", "超市"], at=before)
    assert changed.replaced is True  # the same day: changed, not added
    state = votes.open_ballot(session, view.id, user_id=1, now=after)
    assert state.selected == () and state.recorded is None  # a new day, a new ballot
    next_day = vote(session, view, 1, ["蔬菜", "网店"], at=after)
    assert next_day.replaced is False
    assert sorted(v.day for v in session.exec(select(Vote)).all()) == ["2027-03-01", "2027-03-02"]
    assert counts(session, view.id)["食品品种"]["蔬菜"] == 2
    results = tally(session, view.id)
    assert results is not None
    assert (results.voters, results.votes) == (1, 2)


# --- native polls -----------------------------------------------------------------------------


def test_poll_answers_join_the_tally_once_per_person(session: Session) -> None:
    view = opened(
        session, ballots=(BallotSpec("食品品种", ("猪肉", "蔬菜", "水果"), 2),), townships=()
    )
    votes.record_poll(session, view, poll_id="p1", chat_id=-100, message_id=7)
    vote(session, view, 1, ["猪肉"])
    votes.record_poll_answer(session, "p1", user_id=1, answer=[1, 2], now=T0)  # the same person
    votes.record_poll_answer(session, "p1", user_id=2, answer=[1], now=T0)
    assert counts(session, view.id) == {"食品品种": {"蔬菜": 2, "水果": 1, "猪肉": 0}}
    assert (
        votes.record_poll_answer(session, "p1", user_id=2, answer=[], now=T0) is None
    )  # retracted
    assert counts(session, view.id) == {"食品品种": {"蔬菜": 1, "水果": 1, "猪肉": 0}}
    assert votes.record_poll_answer(session, "unknown", user_id=3, answer=[0], now=T0) is None
    with pytest.raises(Refusal) as caught:
        votes.record_poll_answer(session, "p1", user_id=3, answer=[7], now=T0)
    assert caught.value.reason == "stale"
    results = tally(session, view.id)
    assert results is not None
    assert (results.voters, results.votes, results.poll_votes) == (1, 1, 1)


def test_poll_only_for_one_ballot_of_at_most_twelve_options(session: Session) -> None:
    view = opened(session)
    with pytest.raises(Refusal) as caught:
        votes.poll_target(session, view.id, now=T0)
    assert caught.value.reason == "poll_unsuitable"
    many = opened(session, ballots=(BallotSpec("品种", tuple(f"选项{i}" for i in range(13)), 1),))
    with pytest.raises(Refusal):
        votes.poll_target(session, many.id, now=T0)


# --- suggestions ------------------------------------------------------------------------------


def test_suggestions_are_kept_up_to_fifty_characters(session: Session) -> None:
    view = opened(session)
    food = view.ballots[0].id
    votes.await_suggestion(session, view.id, user_id=1, ballot_id=food, prompt_id=50, now=T0)
    with pytest.raises(Refusal) as caught:
        votes.save_suggestion(session, user_id=1, prompt_id=50, text="很" * 51, now=T0)
    assert (caught.value.reason, caught.value.info) == (
        "suggestion_long",
        {"limit": 50, "length": 51},
    )
    _, ballot, row = votes.save_suggestion(
        session, user_id=1, prompt_id=50, text=" 小龙虾 ", now=T0
    )
    assert (ballot.title, row.text) == ("食品品种", "小龙虾")
    with pytest.raises(Refusal) as caught:  # the prompt was answered: a second reply is stale
        votes.save_suggestion(session, user_id=1, prompt_id=50, text="螺蛳粉", now=T0)
    assert caught.value.reason == "stale"
    with pytest.raises(Refusal):  # another user's prompt
        votes.save_suggestion(session, user_id=2, prompt_id=50, text="螺蛳粉", now=T0)
    votes.await_suggestion(session, view.id, user_id=1, ballot_id=food, prompt_id=60, now=T0)
    votes.save_suggestion(session, user_id=1, prompt_id=60, text="螺蛳粉", now=T0)
    assert [s.text for s in session.exec(select(Suggestion)).all()] == ["螺蛳粉"]


def test_suggestions_only_where_allowed(session: Session) -> None:
    view = opened(session, allow_suggestions=False)
    with pytest.raises(Refusal):
        votes.suggestion_target(session, view.id, ballot_id=view.ballots[0].id, now=T0)


# --- transitions ------------------------------------------------------------------------------


def test_due_transitions_open_and_close_once(session: Session) -> None:
    starts, ends = T0 + timedelta(hours=1), T0 + timedelta(hours=5)
    campaign = svc.create_campaign(
        session, make_spec(starts_at=starts, ends_at=ends), created_by=ADMIN
    )
    manual = svc.create_campaign(session, make_spec(title="手动"), created_by=ADMIN)
    assert svc.scheduled_transitions(session) == [
        (campaign.id, "open", starts),
        (campaign.id, "close", ends),
    ]
    assert svc.apply_due(session, now=T0) == svc.Due([], [])
    assert svc.apply_due(session, now=starts) == svc.Due([campaign.id], [])  # type: ignore[list-item]
    assert svc.apply_due(session, now=starts) == svc.Due([], [])
    assert svc.apply_due(session, now=ends) == svc.Due([], [campaign.id])  # type: ignore[list-item]
    assert svc.apply_due(session, now=ends) == svc.Due([], [])
    assert session.get(Campaign, manual.id).status == "draft"  # type: ignore[union-attr]
    assert svc.scheduled_transitions(session) == []


def test_a_draft_whose_end_passed_is_not_opened(session: Session) -> None:
    campaign = svc.create_campaign(
        session, make_spec(starts_at=T0, ends_at=T0 + timedelta(hours=1)), created_by=ADMIN
    )
    assert campaign.id is not None
    later = T0 + timedelta(hours=2)
    assert svc.apply_due(session, now=later) == svc.Due([], [])
    with pytest.raises(Refusal) as caught:
        svc.open_campaign(session, campaign.id, now=later)
    assert caught.value.reason == "ended"


def test_transitions_in_the_wrong_state_are_refused(session: Session) -> None:
    view = opened(session)
    with pytest.raises(Refusal) as caught:
        svc.open_campaign(session, view.id, now=T0)
    assert (caught.value.reason, caught.value.info["wanted"]) == ("bad_state", "draft")
    with pytest.raises(Refusal):
        svc.set_outcome(session, view.id, text="结果")
    assert svc.delete_draft_campaign(session, view.id) is False


# --- announcing and publishing ----------------------------------------------------------------


def test_publication_reaches_every_voter_exactly_once(session: Session) -> None:
    view = opened(session)
    for user in (1, 2, 3):
        session.add(User(id=user, display_name=f"u{user}"))
    session.add(User(id=4, display_name="subscriber"))
    session.commit()
    for user in (1, 2, 3):
        vote(session, view, user, ["猪肉", "超市"])
    vote(session, view, 1, ["蔬菜", "超市"])  # a changed vote is still one voter
    set_topic(session, user_id=1, topic="results", active=True)  # voter and subscriber
    set_topic(session, user_id=4, topic="results", active=True)
    svc.close_campaign(session, view.id, now=T0)
    with pytest.raises(Refusal):  # nothing to publish yet
        svc.publish_outcome(session, view.id, text="x", admin_id=ADMIN, chat_id=ADMIN, now=T0)
    svc.set_outcome(session, view.id, text="猪肉抽检 20 批次，全部合格。")
    campaign, broadcast, already = svc.publish_outcome(
        session, view.id, text="公示", admin_id=ADMIN, chat_id=ADMIN, now=T0
    )
    assert (campaign.status, already, broadcast.kind, broadcast.topic) == (
        "published",
        False,
        "campaign_publish",
        "results",
    )
    assert broadcast.key == f"campaign:{view.id}:publish"
    again = svc.publish_outcome(
        session, view.id, text="公示", admin_id=ADMIN, chat_id=ADMIN, now=T0
    )
    assert again[1].id == broadcast.id and again[2] is True
    deliveries = session.exec(
        select(Delivery.chat_id).where(Delivery.broadcast_id == broadcast.id)
    ).all()
    assert sorted(deliveries) == [1, 2, 3]  # subscribers join when the engine sends
    assert len(session.exec(select(Broadcast)).all()) == 1
    assert progress(session, broadcast.id).pending == 3  # type: ignore[arg-type]
    with pytest.raises(Refusal):  # published: the text can no longer change
        svc.set_outcome(session, view.id, text="改")


def test_announcement_is_queued_once_for_subscribers(session: Session) -> None:
    view = opened(session)
    first, already = svc.announce(
        session, view.id, text="开始了", admin_id=ADMIN, chat_id=ADMIN, now=T0
    )
    second, again = svc.announce(
        session, view.id, text="开始了", admin_id=ADMIN, chat_id=ADMIN, now=T0
    )
    assert (already, again, first.id == second.id) == (False, True, True)
    assert (first.kind, first.topic, first.key) == (
        "campaign_announce",
        "campaigns",
        f"campaign:{view.id}:announce",
    )


# --- results and exports ----------------------------------------------------------------------


def seeded(session: Session) -> svc.CampaignView:
    view = opened(session)
    vote(session, view, 1, ["猪肉", "蔬菜", "超市"], town=0)
    vote(session, view, 2, ["蔬菜", "超市"], town=0)
    vote(session, view, 3, ["蔬菜", "水果", "网店"], town=1)
    vote(session, view, 4, ["猪肉", "农贸市场"], town=1)
    votes.await_suggestion(
        session, view.id, user_id=4, ballot_id=view.ballots[0].id, prompt_id=9, now=T0
    )
    votes.save_suggestion(session, user_id=4, prompt_id=9, text="小龙虾", now=T0)
    return view


def test_results_rank_count_and_break_down(session: Session) -> None:
    view = seeded(session)
    results = tally(session, view.id)
    assert results is not None
    food, place = results.ballots
    assert [(r.rank, r.label, r.count, r.share) for r in food.rows] == [
        (1, "蔬菜", 3, 0.75),
        (2, "猪肉", 2, 0.5),
        (3, "水果", 1, 0.25),
        (4, "鸡蛋", 0, 0.0),
    ]
    assert [(r.rank, r.label, r.count) for r in place.rows] == [
        (1, "超市", 2),
        (2, "农贸市场", 1),
        (2, "网店", 1),  # a tie shares its rank
    ]
    assert (results.voters, results.votes, results.poll_votes) == (4, 4, 0)
    assert [(t.name, t.voters, t.share) for t in results.townships] == [
        ("城关街道", 2, 0.5),
        ("东城街道", 2, 0.5),
    ]
    assert [(s.ballot, s.text) for s in results.suggestions] == [("食品品种", "小龙虾")]


def test_pseudonyms_are_stable_per_campaign_and_hide_the_id(session: Session) -> None:
    view = seeded(session)
    other = opened(session, title="另一个")
    name = pseudonym(view.campaign, 1)
    assert name == pseudonym(view.campaign, 1) and len(name) == 12
    assert name != pseudonym(other.campaign, 1)
    assert [v.voter for v in raw_votes(session, view.id)] == [
        pseudonym(view.campaign, u) for u in (1, 2, 3, 4)
    ]


def chart_figures(png: bytes) -> dict[str, object]:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 500 and image.height > 200
    figures: dict[str, object] = json.loads(image.info[CHART_KEY])
    return figures


def test_chart_and_workbook_read_back(session: Session) -> None:
    view = seeded(session)
    results = tally(session, view.id)
    assert results is not None
    charts = chart_pngs(results)
    assert [name for name, _ in charts] == [
        f"campaign_{view.id}_1.png",
        f"campaign_{view.id}_2.png",
        f"campaign_{view.id}_townships.png",
    ]
    assert chart_figures(charts[0][1]) == {
        "ballot": "食品品种",
        "labels": ["蔬菜", "猪肉", "水果", "鸡蛋"],
        "counts": [3, 2, 1, 0],
    }
    # Votes are whole: the axis has no 0.5 tick.
    ticks = json.loads(Image.open(io.BytesIO(charts[0][1])).info[AXIS_KEY])["ticks"]
    assert ticks and all(t == int(t) for t in ticks)
    towns = chart_figures(charts[2][1])
    assert towns["ballot"] == "镇/街道"
    assert dict(zip(towns["labels"], towns["counts"], strict=True)) == {  # type: ignore[call-overload]
        t.name: t.voters for t in results.townships
    }
    book = load_workbook(io.BytesIO(workbook_bytes(results, raw_votes(session, view.id), TZ)))
    assert book.sheetnames == ["1.食品品种", "2.抽样场所", "镇街分布", "其他建议", "原始投票"]
    food = [list(r) for r in book["1.食品品种"].iter_rows(min_row=1, max_row=5, values_only=True)]
    assert food == [
        ["排名", "选项", "票数", "占投票人次"],
        [1, "蔬菜", 3, 0.75],
        [2, "猪肉", 2, 0.5],
        [3, "水果", 1, 0.25],
        [4, "鸡蛋", 0, 0],
    ]
    raw = [list(r) for r in book["原始投票"].iter_rows(values_only=True)]
    assert raw[0] == [
        "投票人（匿名编号）",
        "日期",
        "镇/街道",
        "来源",
        "提交时间",
        "食品品种",
        "抽样场所",
    ]
    assert raw[1] == [
        pseudonym(view.campaign, 1),
        "2027-03-01",
        "城关街道",
        "投票页",
        datetime(2027, 3, 1, 10, 0),
        "猪肉、蔬菜",
        "超市",
    ]
    assert all(str(1) != row[0] for row in raw[1:])  # no Telegram ids in the export
    towns = [list(r) for r in book["镇街分布"].iter_rows(values_only=True)]
    assert towns == [
        ["镇/街道", "投票人数", "占投票人数"],
        ["城关街道", 2, 0.5],
        ["东城街道", 2, 0.5],
    ]


# --- the chat builder -------------------------------------------------------------------------


def test_builder_walks_every_step_and_creates_the_same_campaign(session: Session) -> None:
    step = builder.start(session, admin_id=ADMIN, now=T0)
    assert step.name == "title"

    def typed(text: str, prompt: int) -> builder.Step:
        builder.set_prompt(session, admin_id=ADMIN, message_id=prompt)
        return builder.answer_text(
            session, admin_id=ADMIN, prompt_id=prompt, text=text, now=T0, tz=TZ
        )

    assert typed("春季你点我检", 1).name == "description"
    assert typed("-", 2).name == "ballot_title"
    assert typed("食品品种", 3).name == "options"
    bad = typed("猪肉", 4)
    assert (bad.name, bad.error) == ("options", "选项应有 2-30 个（现有 1 个）")
    assert typed("猪肉、蔬菜\n水果，鸡蛋", 5).name == "max_choices"
    assert typed("9", 6).error == "最多可选数应在 1 到 4 之间（现为 9）"
    assert typed("2", 7).name == "optional"
    with pytest.raises(Refusal):  # a typed answer where a button is expected
        typed("是", 8)
    assert builder.answer_choice(session, admin_id=ADMIN, step="optional", value="no").name == (
        "more"
    )
    assert (
        builder.answer_choice(session, admin_id=ADMIN, step="more", value="yes").name
        == "ballot_title"
    )
    typed("抽样场所", 9)
    typed("超市 ; 农贸市场 ; 网店", 10)
    typed("1", 11)
    builder.answer_choice(session, admin_id=ADMIN, step="optional", value="yes")
    with pytest.raises(Refusal):  # a button of another step
        builder.answer_choice(session, admin_id=ADMIN, step="results", value="live")
    assert (
        builder.answer_choice(session, admin_id=ADMIN, step="more", value="no").name == "townships"
    )
    assert typed("城关街道、东城街道", 12).name == "vote_rule"
    builder.answer_choice(session, admin_id=ADMIN, step="vote_rule", value="campaign")
    builder.answer_choice(session, admin_id=ADMIN, step="results", value="after_close")
    assert (
        builder.answer_choice(session, admin_id=ADMIN, step="suggestions", value="yes").name
        == "window"
    )
    assert (
        typed("2027-03-01 08:00 至 2027-02-01 08:00", 13).error
        == "结束时间应晚于开始时间，且还没有过去"
    )
    assert typed("- 至 2027-03-20 20:00", 14).name == "confirm"
    with pytest.raises(Refusal):  # an old prompt
        builder.answer_text(session, admin_id=ADMIN, prompt_id=3, text="x", now=T0, tz=TZ)
    campaign = builder.save(session, admin_id=ADMIN, now=T0, tz=TZ)
    view = svc.load_view(session, campaign.id)  # type: ignore[arg-type]
    assert view is not None
    expected = make_spec(ends_at=datetime(2027, 3, 20, 12, 0, tzinfo=UTC))
    food, place = expected.ballots
    optional_place = dataclasses.replace(place, optional=True)  # 抽样场所 may be left out
    assert svc.spec_of(view) == dataclasses.replace(expected, ballots=(food, optional_place))
    with pytest.raises(Refusal):  # the conversation is over
        builder.save(session, admin_id=ADMIN, now=T0, tz=TZ)


# --- command line -----------------------------------------------------------------------------


def test_cli_create_list_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}")

    def run(*words: str) -> int:
        parsed = {"create": {"file": words[1:2] and words[1]}, "list": {}, "export": {}}
        args = argparse.Namespace(campaign_command=words[0], **parsed.get(words[0], {}))
        if words[0] == "export":
            args.id, args.out = int(words[1]), str(tmp_path / "out")
        return run_campaign_command(settings, args)

    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_YAML, encoding="utf-8")
    assert run("create", str(bad)) == 1
    assert "ballots[1].options：选项应有 2-30 个（现有 1 个）" in capsys.readouterr().err
    good = tmp_path / "spring.yaml"
    good.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("2027-03-20", "2099-03-20"), encoding="utf-8"
    )
    assert run("create", str(good)) == 0
    assert "已创建活动 #1《2027年春季“你点我检”食品安全抽检》" in capsys.readouterr().out
    assert run("list") == 0
    assert capsys.readouterr().out == (
        "#1\t草稿\t0 人投票\t计划：2027-03-01 08:00 至 2099-03-20 20:00\t实际：未开始\t"
        "2027年春季“你点我检”食品安全抽检\n"
    )
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:  # opened early by hand, closed late
        svc.open_campaign(session, 1, now=datetime(2027, 2, 27, 1, 30, tzinfo=UTC))
    assert run("list") == 0
    assert "\t实际：2027-02-27 09:30 开始，尚未结束\t" in capsys.readouterr().out
    with session_scope(engine) as session:
        svc.close_campaign(session, 1, now=datetime(2027, 3, 21, 4, 0, tzinfo=UTC))
    engine.dispose()
    assert run("list") == 0
    listed = capsys.readouterr().out
    assert listed.startswith("#1\t已结束\t0 人投票\t计划：2027-03-01 08:00 至 2099-03-20 20:00\t")
    assert "\t实际：2027-02-27 09:30 至 2027-03-21 12:00\t" in listed
    assert run("export", "1") == 0
    written = capsys.readouterr().out.split()
    assert [Path(p).name for p in written] == [
        *(f"campaign_1_{i}.png" for i in range(1, 5)),
        "campaign_1_townships.png",
        "campaign_1.xlsx",
    ]
    assert run("export", "7") == 1
    assert "没有编号为 7 的活动" in capsys.readouterr().err


# --- PostgreSQL: the same tally under real concurrency ----------------------------------------


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    SQLModel.metadata.drop_all(engine)
    create_tables(engine)
    yield engine
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


def _choose(engine: Engine, view: svc.CampaignView, user: int, chosen: tuple[int, ...]) -> None:
    """Tap the ballot (one transaction per tap) until exactly `chosen` is ticked."""
    with Session(engine, expire_on_commit=False) as session:
        current = set(votes.open_ballot(session, view.id, user_id=user, now=T0).selected)
        for option_id in [
            *(o for o in current if o not in chosen),
            *(o for o in chosen if o not in current),
        ]:
            current = set(
                votes.toggle(session, view.id, user_id=user, option_id=option_id, now=T0).selected
            )
        votes.set_township(session, view.id, user_id=user, index=user % 2, now=T0)


def _submit(engine: Engine, view: svc.CampaignView, user: int, start: threading.Barrier) -> None:
    with Session(engine, expire_on_commit=False) as session:
        start.wait()
        votes.submit(session, view.id, user_id=user, now=T0)


@pytest.mark.postgres
def test_tally_is_exact_under_concurrent_submits_on_postgres(pg_engine: Engine) -> None:
    with Session(pg_engine, expire_on_commit=False) as session:
        view = opened(session)
    food = [option(view, t) for t in ("猪肉", "蔬菜", "水果", "鸡蛋")]
    place = [option(view, t) for t in ("超市", "农贸市场", "网店")]
    last: dict[int, tuple[int, ...]] = {}
    errors: list[BaseException] = []

    def voter(user: int) -> None:
        try:
            for round_ in range(3):  # vote, then change twice, racing the other voters
                chosen = (food[(user + round_) % 4], place[(user * 7 + round_) % 3])
                _choose(pg_engine, view, user, chosen)
                start = threading.Barrier(2)  # a double tap: two submits of one voter at once
                taps = [
                    threading.Thread(target=_submit, args=(pg_engine, view, user, start))
                    for _ in range(2)
                ]
                for tap in taps:
                    tap.start()
                for tap in taps:
                    tap.join()
                last[user] = chosen
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=voter, args=(u,)) for u in range(1, 41)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected: dict[int, int] = {}
    for chosen in last.values():
        for option_id in chosen:
            expected[option_id] = expected.get(option_id, 0) + 1
    with Session(pg_engine) as session:
        assert len(session.exec(select(Vote)).all()) == 40
        results = tally(session, view.id)
    assert results is not None
    actual = {option(view, r.label): r.count for b in results.ballots for r in b.rows if r.count}
    assert actual == expected
    assert results.voters == 40


@pytest.mark.postgres
def test_a_new_voters_first_two_taps_at_once_make_one_draft_on_postgres(
    pg_engine: Engine,
) -> None:
    with Session(pg_engine, expire_on_commit=False) as session:
        view = opened(session)
    pork, veg = option(view, "猪肉"), option(view, "蔬菜")
    errors: list[BaseException] = []

    def tap(user: int, option_id: int, start: threading.Barrier) -> None:
        with Session(pg_engine, expire_on_commit=False) as session:
            start.wait()
            try:
                votes.toggle(session, view.id, user_id=user, option_id=option_id, now=T0)
            except BaseException as exc:  # collected and re-raised in the test thread
                errors.append(exc)

    for user in range(1, 21):
        start = threading.Barrier(2)  # two workers handle the voter's first two taps
        taps = [threading.Thread(target=tap, args=(user, o, start)) for o in (pork, veg)]
        for thread in taps:
            thread.start()
        for thread in taps:
            thread.join()
    assert errors == []
    with Session(pg_engine) as session:
        drafts = session.exec(select(VoteDraft)).all()
    assert len(drafts) == 20
    assert {tuple(sorted(map(int, d.option_ids.split(",")))) for d in drafts} == {
        tuple(sorted((pork, veg)))
    }
