"""抽考 services: the paper, the draw, scoring, the clock, the 错题本, records and imports."""

from __future__ import annotations

import io
import random
from argparse import Namespace
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from bot.cli import main as cli_main
from bot.db import create_tables, make_engine
from bot.exams import issue as exam_issue
from bot.exams import services as exams
from bot.exams.bank import Bank, import_sheet, load_exam_bank
from bot.exams.cli import run_exam_command
from bot.exams.exports import build_report, workbook_bytes
from bot.exams.paper import (
    Paper,
    PaperError,
    Section,
    default_paper,
    draw_exam,
    draw_practice,
    in_pool,
    option_order,
    score_answer,
    shortfall,
)
from bot.exams.services import Gate, Press, Reason
from bot.exams.stats import (
    RecordFilter,
    by_sector,
    by_township,
    most_missed,
    parse_filter,
    records,
)
from bot.exams.views import result_of
from bot.models import Attempt, AttemptItem, AuditLog, Exam, Mistake, as_utc
from knowledge.quiz import ROLES, SECTORS, Question
from tests.conftest import make_settings
from tests.exam_helpers import T0, bank_fixture  # noqa: F401

TZ = ZoneInfo("Asia/Shanghai")
INSPECTOR = 900002
CANDIDATE = 5001
JUDGES = [{"type": "judge", "count": 5, "points": 2}]


def _question(bank: Bank, kind: str, *, min_options: int = 0) -> Question:
    return next(q for q in bank.questions if q.type == kind and len(q.options) >= min_options)


def _issue(
    session: Session,
    bank: Bank,
    *,
    sector: str = "catering",
    role: str = "director",
    township: str | None = "城关街道",
    inspector: int = INSPECTOR,
    paper: Paper | None = None,
    name: str | None = "张三",
    now: datetime = T0,
) -> Exam:
    data = {"enterprise": "某某餐饮有限公司", "sector": sector, "role": role}
    if township:
        data["township"] = township
    if name:
        data["candidate"] = name
    exam_issue.start_draft(session, inspector_id=inspector, prefill=data, now=now)
    for step in ("credit_code", "township", "candidate"):
        exam_issue.set_step(session, inspector_id=inspector, step=step, value=None, now=now)
    return exam_issue.issue(
        session,
        inspector_id=inspector,
        bank=bank,
        paper=paper or default_paper(),
        hours=24,
        rng=random.Random(1),
        now=now,
    )


def _start(session: Session, bank: Bank, exam: Exam, user: int = CANDIDATE) -> Attempt:
    gate, _, _ = exams.open_exam(session, code=exam.code, user_id=user, now=T0)
    assert gate is Gate.CONFIRM
    gate, attempt = exams.start_exam(
        session, exam_id=exam.id or 0, user_id=user, bank=bank, rng=random.Random(2), now=T0
    )
    assert gate is Gate.STARTED and attempt is not None
    return attempt


def _items(session: Session, attempt: Attempt) -> list[AttemptItem]:
    return list(
        session.exec(
            select(AttemptItem)
            .where(AttemptItem.attempt_id == attempt.id)
            .order_by(col(AttemptItem.position))
        )
    )


def _display(item: AttemptItem, originals: frozenset[int]) -> list[int]:
    order = [int(p) for p in item.option_order.split(",")]
    return sorted(order.index(i) for i in originals)


# --- the bank and the paper -------------------------------------------------------------------


def test_bank_loads_and_fills_every_sector_and_role(bank: Bank) -> None:
    assert len(bank.questions) >= 300
    assert len(set(bank.by_id)) == len(bank.questions)
    for sector in SECTORS:
        for role in ROLES:
            assert shortfall(bank.questions, sector, role, default_paper()) == [], (sector, role)


def test_default_paper_is_100_points() -> None:
    paper = default_paper()
    assert paper.total == 100
    assert paper.size == 45
    assert [(s.type, s.count, s.points) for s in paper.sections] == [
        ("single", 20, 2.0),
        ("multiple", 10, 3.0),
        ("judge", 15, 2.0),
    ]
    assert (paper.minutes, paper.pass_mark, paper.multiple_partial) == (30, 80.0, 0.0)
    assert Paper.from_json(paper.to_json()) == paper


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "试卷应为 JSON 对象"),
        ({"sections": []}, "sections 应为非空列表"),
        ({"sections": [{"type": "essay", "count": 1, "points": 1}]}, "type 只能是"),
        ({"sections": [{"type": "single", "count": 0, "points": 1}]}, "count 应为 1-100"),
        ({"sections": [{"type": "single", "count": 5, "points": 0}]}, "points 应为"),
        (
            {"sections": [{"type": "single", "count": 5, "points": 2},
                          {"type": "single", "count": 5, "points": 2}]},
            "重复",
        ),
        ({"sections": JUDGES, "pass_mark": 11}, "pass_mark"),
        ({"sections": [{"type": "single", "count": 60, "points": 1},
                       {"type": "judge", "count": 40, "points": 1}]}, "不能超过 90 道"),
        ({"sections": JUDGES, "minutes": 3}, "minutes"),
        ({"sections": JUDGES, "multiple_partial": 1}, "multiple_partial"),
    ],
    ids=["not-object", "no-sections", "bad-type", "zero-count", "zero-points", "duplicate",
         "pass-above-total", "too-many", "too-short", "partial-one"],
)  # fmt: skip
def test_paper_validation(data: object, problem: str) -> None:
    with pytest.raises(PaperError) as caught:
        Paper.from_dict(data)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_paper_from_bad_json() -> None:
    with pytest.raises(PaperError, match="不是合法的 JSON"):
        Paper.from_json("{sections")


@pytest.mark.parametrize("sector", sorted(SECTORS))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_draw_honours_paper_sector_and_role(bank: Bank, sector: str, role: str) -> None:
    paper = default_paper()
    drawn = draw_exam(bank.questions, sector, role, paper, random.Random(sector + role))
    assert len(drawn) == 45
    assert len({q.id for q, _ in drawn}) == 45
    assert [q.type for q, _ in drawn] == ["single"] * 20 + ["multiple"] * 10 + ["judge"] * 15
    assert sum(points for _, points in drawn) == 100
    assert all(in_pool(q, sector, role) for q, _ in drawn)
    if sector != "general":
        for section in paper.sections:
            own = [q for q, _ in drawn if q.type == section.type and sector in q.sectors]
            available = sum(
                1
                for q in bank.questions
                if q.type == section.type and sector in q.sectors and role in q.roles
            )
            assert len(own) >= min(available, section.count // 2), (section.type, len(own))


def test_draw_spreads_topics_and_differs_per_attempt(bank: Bank) -> None:
    first = draw_exam(bank.questions, "retail", "officer", default_paper(), random.Random(1))
    second = draw_exam(bank.questions, "retail", "officer", default_paper(), random.Random(2))
    assert [q.id for q, _ in first] != [q.id for q, _ in second]
    topics = Counter(q.topic for q, _ in first)
    assert max(topics.values()) <= 8  # 45 questions over many topics: none dominates
    practice = draw_practice(bank.questions, "special", "director", random.Random(3))
    assert len(practice) == 10 == len({q.topic for q in practice})


def test_draw_refuses_a_paper_the_bank_cannot_fill(bank: Bank) -> None:
    paper = Paper((Section("multiple", 90, 1.0),), 30, 60)
    problems = shortfall(bank.questions, "special", "officer", paper)
    assert len(problems) == 1 and "多选题" in problems[0] and "试卷需要 90 道" in problems[0]
    with pytest.raises(PaperError):
        draw_exam(bank.questions, "special", "officer", paper, random.Random(1))
    with pytest.raises(PaperError):
        draw_practice(bank.questions, "bakery", "officer", random.Random(1))


def test_options_shuffle_but_judge_keeps_its_order(bank: Bank) -> None:
    rng = random.Random(5)
    multiple = _question(bank, "multiple", min_options=5)
    orders = {option_order(multiple, rng) for _ in range(20)}
    assert len(orders) > 1
    assert all(sorted(o) == list(range(len(multiple.options))) for o in orders)
    judge = _question(bank, "judge")
    assert {option_order(judge, rng) for _ in range(10)} == {(0, 1)}


# --- scoring ----------------------------------------------------------------------------------


def test_scoring_single_and_judge(bank: Bank) -> None:
    single, judge = _question(bank, "single"), _question(bank, "judge")
    (key,) = single.answer
    assert score_answer(single, frozenset({key}), 2) == (True, 2)
    assert score_answer(single, frozenset({(key + 1) % len(single.options)}), 2) == (False, 0)
    assert score_answer(judge, judge.answer, 2) == (True, 2)
    assert score_answer(judge, frozenset({1 - next(iter(judge.answer))}), 2) == (False, 0)
    assert score_answer(single, frozenset(), 2) == (False, 0)


def test_multiple_is_all_or_nothing_by_default(bank: Bank) -> None:
    q = next(x for x in bank.questions if x.type == "multiple" and len(x.answer) < len(x.options))
    key = q.answer
    subset = frozenset(sorted(key)[:1])
    wrong = next(i for i in range(len(q.options)) if i not in key)
    assert score_answer(q, key, 3) == (True, 3)
    assert score_answer(q, subset, 3) == (False, 0)  # 少选
    assert score_answer(q, key | {wrong}, 3) == (False, 0)  # 多选
    assert score_answer(q, subset | {wrong}, 3) == (False, 0)  # 错选
    assert score_answer(q, frozenset(), 3) == (False, 0)
    # A paper may give a share for a correct subset; a wrong option still scores 0.
    assert score_answer(q, subset, 3, multiple_partial=0.5) == (False, 1.5)
    assert score_answer(q, subset | {wrong}, 3, multiple_partial=0.5) == (False, 0)
    assert score_answer(q, key, 3, multiple_partial=0.5) == (True, 3)


# --- sittings -----------------------------------------------------------------------------------


def test_exam_answers_navigation_and_score(session: Session, bank: Bank) -> None:
    exam = _issue(session, bank)
    attempt = _start(session, bank, exam)
    assert as_utc(attempt.deadline or T0) == T0 + timedelta(minutes=30)
    items = _items(session, attempt)
    now = T0 + timedelta(minutes=1)
    expected = 0.0
    for item in items:
        q = bank.by_id[item.question_id]
        key = _display(item, q.answer)
        if q.type == "multiple":
            for option in key:
                step = exams.toggle(
                    session,
                    Press(attempt.id or 0, CANDIDATE, item.position, bank, now),
                    option=option,
                    on=True,
                )
                assert step.refusal is None
            if item.position < 25:  # half of the 多选 get one wrong extra option too
                extra = next(i for i in range(len(q.options)) if i not in key)
                exams.toggle(
                    session,
                    Press(attempt.id or 0, CANDIDATE, item.position, bank, now),
                    option=extra,
                    on=True,
                )
            else:
                expected += item.points
            exams.goto(
                session,
                Press(attempt.id or 0, CANDIDATE, item.position, bank, now),
                target=item.position + 1,
            )
        else:
            step = exams.choose(
                session, Press(attempt.id or 0, CANDIDATE, item.position, bank, now), option=key[0]
            )
            assert step.refusal is None
            expected += item.points
    step = exams.submit(
        session, Press(attempt.id or 0, CANDIDATE, None, bank, now + timedelta(minutes=5))
    )
    assert step.finished
    assert attempt.score == expected == 100 - 5 * 3
    assert attempt.passed is True
    result = result_of(session, attempt, bank)
    assert (result.right, result.total, len(result.wrong)) == (40, 45, 5)
    assert result.used_seconds == 6 * 60
    assert sum(t.total for t in result.topics) == 45
    assert session.get(Exam, exam.id).status == "submitted"
    # Once submitted: nothing more changes, and a second submit is refused.
    again = exams.submit(session, Press(attempt.id or 0, CANDIDATE, None, bank, now))
    assert again.refusal is Reason.CLOSED and not again.finished


def test_pass_mark_is_inclusive(session: Session, bank: Bank) -> None:
    paper = Paper((Section("judge", 10, 10.0),), 30, 80)
    attempt = _start(session, bank, _issue(session, bank, paper=paper))
    for item in _items(session, attempt)[:8]:
        q = bank.by_id[item.question_id]
        exams.choose(
            session,
            Press(attempt.id or 0, CANDIDATE, item.position, bank, T0),
            option=_display(item, q.answer)[0],
        )
    exams.submit(session, Press(attempt.id or 0, CANDIDATE, None, bank, T0))
    assert (attempt.score, attempt.passed) == (80, True)


def test_stale_double_and_foreign_presses(session: Session, bank: Bank) -> None:
    attempt = _start(session, bank, _issue(session, bank))
    aid = attempt.id or 0
    first = exams.choose(session, Press(aid, CANDIDATE, 0, bank, T0), option=0)
    assert first.refusal is None and attempt.current == 1
    double = exams.choose(session, Press(aid, CANDIDATE, 0, bank, T0), option=1)
    assert double.refusal is Reason.STALE
    assert _items(session, attempt)[0].chosen is not None
    assert _items(session, attempt)[1].chosen is None  # the double tap did not answer Q2
    foreign = exams.choose(session, Press(aid, 5002, 1, bank, T0), option=0)
    assert foreign.refusal is Reason.NOT_YOURS
    missing = exams.choose(session, Press(aid + 99, CANDIDATE, 1, bank, T0), option=0)
    assert missing.refusal is Reason.MISSING
    out_of_range = exams.choose(session, Press(aid, CANDIDATE, 1, bank, T0), option=9)
    assert out_of_range.refusal is Reason.STALE
    far = exams.goto(session, Press(aid, CANDIDATE, 1, bank, T0), target=45)
    assert far.refusal is Reason.STALE
    # 多选 toggles are idempotent: setting an option on twice keeps it once.
    multiple = next(i for i in _items(session, attempt) if i.position == 20)
    exams.goto(session, Press(aid, CANDIDATE, 1, bank, T0), target=20)
    for _ in range(2):
        exams.toggle(session, Press(aid, CANDIDATE, 20, bank, T0), option=2, on=True)
    session.refresh(multiple)
    order = [int(p) for p in multiple.option_order.split(",")]
    assert multiple.chosen == str(order[2])
    exams.toggle(session, Press(aid, CANDIDATE, 20, bank, T0), option=2, on=False)
    session.refresh(multiple)
    assert multiple.chosen is None


def test_deadline_refuses_answers_and_submits_once(session: Session, bank: Bank) -> None:
    attempt = _start(session, bank, _issue(session, bank))
    aid = attempt.id or 0
    late = T0 + timedelta(minutes=30)
    assert (
        exams.finish_due(session, attempt_id=aid, bank=bank, now=late - timedelta(seconds=1))
        is None
    )
    step = exams.choose(session, Press(aid, CANDIDATE, 0, bank, late), option=0)
    assert step.refusal is Reason.TIME_UP and step.finished
    assert _items(session, attempt)[0].chosen is None
    assert as_utc(attempt.submitted_at or T0) == late
    assert exams.finish_due(session, attempt_id=aid, bank=bank, now=late) is None
    again = exams.choose(session, Press(aid, CANDIDATE, 0, bank, late), option=0)
    assert again.refusal is Reason.CLOSED and not again.finished


def test_finish_due_after_a_long_outage_counts_time_to_the_deadline(
    session: Session, bank: Bank
) -> None:
    attempt = _start(session, bank, _issue(session, bank))
    assert [a.id for a in exams.due_attempts(session)] == [attempt.id]
    done = exams.finish_due(
        session, attempt_id=attempt.id or 0, bank=bank, now=T0 + timedelta(hours=5)
    )
    assert done is not None and done.status == "submitted"
    assert as_utc(done.submitted_at or T0) == T0 + timedelta(minutes=30)
    assert exams.due_attempts(session) == []


def test_open_exam_gates(session: Session, bank: Bank) -> None:
    exam = _issue(session, bank, name=None)
    assert exams.open_exam(session, code=exam.code, user_id=INSPECTOR, now=T0)[0] is Gate.ISSUER
    assert exams.open_exam(session, code="nope", user_id=CANDIDATE, now=T0)[0] is Gate.NOT_FOUND
    gate, _, _ = exams.open_exam(session, code=exam.code.lower(), user_id=CANDIDATE, now=T0)
    assert gate is Gate.NEED_NAME
    assert exams.awaiting_name(session, CANDIDATE, T0) == exam
    assert exams.open_exam(session, code=exam.code, user_id=5002, now=T0)[0] is Gate.TAKEN
    gate, attempt = exams.start_exam(
        session, exam_id=exam.id or 0, user_id=CANDIDATE, bank=bank, rng=random.Random(1), now=T0
    )
    assert gate is Gate.NEED_NAME and attempt is None
    assert (
        exams.set_candidate_name(
            session, exam_id=exam.id or 0, user_id=CANDIDATE, name="健康证多久办？", now=T0
        )
        is None
    )
    named = exams.set_candidate_name(
        session, exam_id=exam.id or 0, user_id=CANDIDATE, name="  李 四 ", now=T0
    )
    assert named is not None and named.candidate_name == "李 四"
    assert exams.awaiting_name(session, CANDIDATE, T0) is None
    gate, attempt = exams.start_exam(
        session, exam_id=exam.id or 0, user_id=CANDIDATE, bank=bank, rng=random.Random(1), now=T0
    )
    assert gate is Gate.STARTED and attempt is not None
    again = exams.start_exam(
        session, exam_id=exam.id or 0, user_id=CANDIDATE, bank=bank, rng=random.Random(1), now=T0
    )
    assert again[0] is Gate.RESUME
    assert exams.open_exam(session, code=exam.code, user_id=CANDIDATE, now=T0)[0] is Gate.RESUME
    exams.submit(session, Press(attempt.id or 0, CANDIDATE, None, bank, T0))
    assert exams.open_exam(session, code=exam.code, user_id=CANDIDATE, now=T0)[0] is Gate.DONE
    expired = _issue(session, bank)
    later = T0 + timedelta(hours=24)
    assert (
        exams.open_exam(session, code=expired.code, user_id=CANDIDATE, now=later)[0]
        is Gate.EXPIRED
    )
    assert session.get(Exam, expired.id).status == "expired"


# --- practice and the 错题本 -------------------------------------------------------------------


def _practice(session: Session, bank: Bank, sector: str, role: str, seed: int) -> Attempt:
    return exams.start_practice(
        session,
        user_id=CANDIDATE,
        sector=sector,
        role=role,
        bank=bank,
        rng=random.Random(seed),
        now=T0,
    )


def _answer_practice(session: Session, bank: Bank, attempt: Attempt, right: bool) -> None:
    item = _items(session, attempt)[attempt.current]
    q = bank.by_id[item.question_id]
    key = _display(item, q.answer)
    picks = key if right else [next(i for i in range(len(q.options)) if i not in key)]
    aid = attempt.id or 0
    if q.type == "multiple":
        for option in picks:
            exams.toggle(
                session, Press(aid, CANDIDATE, item.position, bank, T0), option=option, on=True
            )
        step = exams.confirm(session, Press(aid, CANDIDATE, item.position, bank, T0))
    else:
        step = exams.choose(
            session, Press(aid, CANDIDATE, item.position, bank, T0), option=picks[0]
        )
    assert step.revealed
    exams.next_question(session, Press(aid, CANDIDATE, item.position, bank, T0))


def test_practice_reveals_once_and_feeds_the_mistakes_book(session: Session, bank: Bank) -> None:
    attempt = _practice(session, bank, "catering", "officer", 4)
    item = _items(session, attempt)[0]
    q = bank.by_id[item.question_id]
    if q.type == "multiple":
        empty = exams.confirm(session, Press(attempt.id or 0, CANDIDATE, 0, bank, T0))
        assert empty.refusal is Reason.EMPTY
    too_early = exams.next_question(session, Press(attempt.id or 0, CANDIDATE, 0, bank, T0))
    assert too_early.refusal is Reason.STALE
    for position in range(10):
        _answer_practice(session, bank, attempt, right=position >= 3)
    assert attempt.status == "submitted"
    assert (attempt.score, attempt.max_score, attempt.passed) == (70, 100, None)
    wrong = exams.open_mistakes(session, CANDIDATE, bank)
    assert len(wrong) == 3
    # A new round makes the old round's buttons stale; a review round clears what is right.
    review = exams.start_review(
        session, user_id=CANDIDATE, bank=bank, rng=random.Random(1), now=T0
    )
    assert review is not None and review.mode == "review"
    _answer_practice(session, bank, review, right=False)
    _answer_practice(session, bank, review, right=True)
    _answer_practice(session, bank, review, right=True)
    left = exams.open_mistakes(session, CANDIDATE, bank)
    assert len(left) == 1
    assert session.get(Mistake, (CANDIDATE, left[0].question_id)).wrong_count == 2
    second = _practice(session, bank, "general", "officer", 5)
    third = _practice(session, bank, "general", "officer", 6)
    session.refresh(second)
    assert second.status == "abandoned"
    stale = exams.choose(session, Press(second.id or 0, CANDIDATE, 0, bank, T0), option=0)
    assert stale.refusal is Reason.CLOSED
    assert third.status == "active"


def test_practice_cannot_be_answered_twice(session: Session, bank: Bank) -> None:
    bank_judges = Bank.of([q for q in bank.questions if q.type == "judge"])
    attempt = _practice(session, bank_judges, "retail", "director", 4)
    first = exams.choose(session, Press(attempt.id or 0, CANDIDATE, 0, bank_judges, T0), option=0)
    second = exams.choose(session, Press(attempt.id or 0, CANDIDATE, 0, bank_judges, T0), option=1)
    assert first.revealed and second.refusal is Reason.STALE
    assert _items(session, attempt)[0].chosen == "0"


# --- issuing ---------------------------------------------------------------------------------


def test_credit_codes_and_one_line_arguments() -> None:
    assert exam_issue.valid_credit_code("91350100M000100Y43")
    assert exam_issue.valid_credit_code("91370100ma3c5y8x2f")
    assert not exam_issue.valid_credit_code("91370100MA3C5Y8X2G")
    assert not exam_issue.valid_credit_code("91370100MA3C5Y8X2")
    assert exam_issue.parse_line("好味道餐馆 91370100MA3C5Y8X2F 餐饮 安全员 城关街道 王小明") == {
        "enterprise": "好味道餐馆",
        "credit_code": "91370100MA3C5Y8X2F",
        "sector": "catering",
        "role": "officer",
        "township": "城关街道",
        "candidate": "王小明",
    }
    assert exam_issue.parse_line("") == {}


def test_draft_steps_skips_and_timeout(session: Session, bank: Bank) -> None:
    draft = exam_issue.start_draft(session, inspector_id=INSPECTOR, prefill={}, now=T0)
    assert draft.step == "enterprise"
    draft, ok = exam_issue.set_step(
        session, inspector_id=INSPECTOR, step="enterprise", value="甲", now=T0
    )
    assert not ok and draft is not None and draft.step == "enterprise"
    draft, ok = exam_issue.set_step(
        session, inspector_id=INSPECTOR, step="sector", value="catering", now=T0
    )
    assert draft is None and not ok  # not the current step: a stale button
    exam_issue.set_step(
        session, inspector_id=INSPECTOR, step="enterprise", value="甲乙餐馆", now=T0
    )
    draft, ok = exam_issue.set_step(
        session, inspector_id=INSPECTOR, step="credit_code", value="123", now=T0
    )
    assert not ok
    draft, ok = exam_issue.set_step(
        session, inspector_id=INSPECTOR, step="credit_code", value=None, now=T0
    )
    assert ok and draft is not None and draft.step == "sector"
    assert exam_issue.typing_draft(session, INSPECTOR, T0) is None  # sector is a button step
    _, ok = exam_issue.set_step(session, inspector_id=INSPECTOR, step="sector", value=None, now=T0)
    assert not ok  # required steps cannot be skipped
    for step, value in (("sector", "canteen"), ("role", "officer")):
        exam_issue.set_step(session, inspector_id=INSPECTOR, step=step, value=value, now=T0)
    assert exam_issue.typing_draft(session, INSPECTOR, T0 + timedelta(minutes=29)) is not None
    assert exam_issue.typing_draft(session, INSPECTOR, T0 + timedelta(minutes=31)) is None
    for step in ("township", "candidate"):
        exam_issue.set_step(session, inspector_id=INSPECTOR, step=step, value=None, now=T0)
    exam = exam_issue.issue(
        session,
        inspector_id=INSPECTOR,
        bank=bank,
        paper=default_paper(),
        hours=24,
        rng=random.Random(1),
        now=T0,
    )
    assert (exam.sector, exam.role, exam.township, exam.candidate_name) == (
        "canteen",
        "officer",
        None,
        None,
    )
    assert len(exam.code) == 8 and as_utc(exam.expires_at) == T0 + timedelta(hours=24)
    assert Paper.from_json(exam.paper) == default_paper()
    assert exam_issue.draft_of(session, INSPECTOR) is None
    log = session.exec(select(AuditLog).where(AuditLog.action == "exam:issue")).one()
    assert log.actor_id == INSPECTOR and exam.code in log.detail


def test_recent_townships_and_default_paper(session: Session, bank: Bank) -> None:
    for town in ("东城街道", "西山镇", "东城街道"):
        _issue(session, bank, township=town)
    assert exam_issue.recent_townships(session, INSPECTOR) == ["东城街道", "西山镇"]
    config = make_settings(exam_minutes=45, exam_pass_mark=70)
    assert exam_issue.get_default_paper(session, config).minutes == 45
    custom = Paper((Section("judge", 20, 5.0),), 20, 60)
    exam_issue.set_default_paper(session, actor_id=900001, paper=custom)
    assert exam_issue.get_default_paper(session, config) == custom
    exam_issue.set_default_paper(session, actor_id=900001, paper=None)
    assert exam_issue.get_default_paper(session, config).pass_mark == 70
    actions = [a.action for a in session.exec(select(AuditLog)).all()]
    assert actions.count("exam:paper") == 2


# --- records, statistics, export ---------------------------------------------------------------


def _sitting(
    session: Session,
    bank: Bank,
    *,
    right: int,
    sector: str,
    township: str | None,
    inspector: int = INSPECTOR,
    day: int = 0,
) -> Attempt:
    paper = Paper((Section("judge", 10, 10.0),), 30, 60)
    when = T0 + timedelta(days=day)
    exam = _issue(
        session, bank, sector=sector, township=township, inspector=inspector, paper=paper, now=when
    )
    exams.open_exam(session, code=exam.code, user_id=CANDIDATE, now=when)
    _, attempt = exams.start_exam(
        session,
        exam_id=exam.id or 0,
        user_id=CANDIDATE,
        bank=bank,
        rng=random.Random(day),
        now=when,
    )
    assert attempt is not None
    for item in _items(session, attempt)[:right]:
        q = bank.by_id[item.question_id]
        exams.choose(
            session,
            Press(attempt.id or 0, CANDIDATE, item.position, bank, when),
            option=_display(item, q.answer)[0],
        )
    exams.submit(
        session, Press(attempt.id or 0, CANDIDATE, None, bank, when + timedelta(minutes=12))
    )
    return attempt


def test_records_statistics_and_filters(session: Session, bank: Bank) -> None:
    _sitting(session, bank, right=10, sector="catering", township="东城街道")
    _sitting(session, bank, right=5, sector="catering", township="西山镇", day=1)
    _sitting(session, bank, right=8, sector="retail", township=None, day=2)
    _sitting(session, bank, right=2, sector="retail", township="西山镇", inspector=777, day=3)
    everything = records(session, RecordFilter(), TZ)
    assert [r.score for r in everything] == [20, 80, 50, 100]  # newest first
    assert [r.used_seconds for r in everything] == [720] * 4
    mine = records(session, RecordFilter(inspector_id=INSPECTOR), TZ)
    assert len(mine) == 3
    sectors = {g.name: (g.attempts, g.passed, g.average) for g in by_sector(everything)}
    assert sectors == {"餐饮服务": (2, 1, 75.0), "食品销售": (2, 1, 50.0)}
    towns = {g.name: (g.attempts, g.pass_rate) for g in by_township(everything)}
    assert towns == {"西山镇": (2, 0.0), "东城街道": (1, 1.0), "未填写": (1, 1.0)}
    failed = records(session, RecordFilter(passed=False), TZ)
    assert [r.score for r in failed] == [20, 50]
    day2 = (T0 + timedelta(days=1)).astimezone(TZ).date()
    ranged = records(session, RecordFilter(start=day2, end=day2 + timedelta(days=1)), TZ)
    assert [r.score for r in ranged] == [80, 50]
    assert [r.score for r in records(session, RecordFilter(township="西山"), TZ)] == [20, 50]
    assert [r.score for r in records(session, RecordFilter(sector="retail"), TZ)] == [20, 80]
    missed = most_missed(session, everything, bank)
    assert missed and all(m.wrong >= 1 for m in missed)
    assert [m.wrong for m in missed] == sorted((m.wrong for m in missed), reverse=True)


def test_parse_filter_words() -> None:
    flt, unknown = parse_filter("2025-03 餐饮 不合格 西山镇")
    assert unknown == []
    assert flt == RecordFilter(
        start=date(2025, 3, 1),
        end=date(2025, 3, 31),
        sector="catering",
        township="西山镇",
        passed=False,
    )
    flt, _ = parse_filter("2025-02-01~2025-02-14 合格")
    assert (flt.start, flt.end, flt.passed) == (date(2025, 2, 1), date(2025, 2, 14), True)
    flt, _ = parse_filter("2024年12月")
    assert (flt.start, flt.end) == (date(2024, 12, 1), date(2024, 12, 31))
    _, unknown = parse_filter("2025-13")
    assert unknown == ["2025-13"]
    assert parse_filter("") == (RecordFilter(), [])


def test_workbook_numbers(session: Session, bank: Bank) -> None:
    _sitting(session, bank, right=10, sector="catering", township="东城街道")
    _sitting(session, bank, right=6, sector="catering", township="东城街道", day=1)
    report = build_report(session, RecordFilter(), bank, TZ)
    book = load_workbook(io.BytesIO(workbook_bytes(report, TZ)))
    rows = list(book["抽考记录"].iter_rows(values_only=True))
    assert [r[6] for r in rows[1:]] == [60, 100]
    assert [r[8] for r in rows[1:]] == ["合格", "合格"]
    assert rows[1][9] == 12.0
    assert rows[1][10] == (T0 + timedelta(days=1, minutes=12)).astimezone(TZ).strftime(
        "%Y-%m-%d %H:%M"
    )
    towns = list(book["镇街统计"].iter_rows(values_only=True))
    assert towns[1] == ("东城街道", 2, 2, 1, 80)
    assert towns[-1] == ("合计", 2, 2, 1, 80)


# --- spreadsheet import -------------------------------------------------------------------------


def _csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "bank.csv"
    header = "题型,题干,选项A,选项B,选项C,选项D,答案,解析,行业,岗位,难度,主题,依据,条号"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_import_sheet_all_or_nothing(session: Session, bank: Bank, tmp_path: Path) -> None:
    good = "单选,导入示例题：下列哪个正确？,甲,乙,丙,丁,B,示例解析。,餐饮服务,总监,1,示例,fsl,44"
    bad = "多选,错误答案的示例题,甲,乙,丙,丁,Z,示例。,餐饮服务,总监,1,示例,fsl,44"
    count, problems = import_sheet(session, _csv(tmp_path, [good, bad]), bank)
    assert count == 0 and len(problems) == 1 and "bank.csv:3" in problems[0]
    count, problems = import_sheet(session, _csv(tmp_path, [good]), bank)
    assert (count, problems) == (1, [])
    merged = load_exam_bank(session)
    assert len(merged.questions) == len(bank.questions) + 1
    imported = merged.by_id["imp-0001"]
    assert imported.answer == frozenset({1}) and imported.sectors == {"catering"}
    # Re-importing replaces; a stem already in the YAML bank is refused.
    assert import_sheet(session, _csv(tmp_path, [good]), merged) == (1, [])
    clash = f"判断,{bank.questions[0].stem},,,,,对,解析。,通用,总监,1,示例,fsl,44"
    count, problems = import_sheet(session, _csv(tmp_path, [clash]), merged)
    assert count == 0 and "重复" in problems[0]


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_sitting_on_postgresql_is_submitted_once(pg_url: str, bank: Bank) -> None:
    engine = make_engine(pg_url)
    create_tables(engine)  # no drop_all: other suites may share the database
    inspector, candidate = 8_800_000_001, 9_900_000_001  # ids beyond 32 bits
    try:
        with Session(engine, expire_on_commit=False) as first:
            exam = _issue(first, bank, inspector=inspector)
            attempt = _start(first, bank, exam, user=candidate)
            aid = attempt.id or 0
            exams.choose(first, Press(aid, candidate, 0, bank, T0), option=0)
            with Session(engine, expire_on_commit=False) as second:
                stale = second.get(Attempt, aid)  # another worker read it while still active
                assert stale is not None and stale.status == "active"
                done = exams.submit(first, Press(aid, candidate, None, bank, T0))
                late = exams.submit(second, Press(aid, candidate, None, bank, T0))
            assert done.finished and not late.finished and late.refusal is Reason.CLOSED
            rows = records(first, RecordFilter(inspector_id=inspector), TZ)
            mine = [(r.candidate, r.score) for r in rows if r.code == exam.code]
            assert mine == [("张三", attempt.score)]
            assert len(exams.open_mistakes(first, candidate, bank)) >= 44
    finally:
        engine.dispose()


# --- the command line ---------------------------------------------------------------------------


def test_cli_export_and_import_bank(
    tmp_path: Path, bank: Bank, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    create_tables(engine)
    with Session(engine, expire_on_commit=False) as session:
        _sitting(session, bank, right=9, sector="retail", township="西山镇")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "out" / "抽考.xlsx"
    assert cli_main(["exam", "export", "--out", str(out)]) == 0
    assert f"已导出 1 条抽考记录到 {out}（合格 1，平均分 90）" in capsys.readouterr().out
    rows = list(load_workbook(out)["抽考记录"].iter_rows(values_only=True))
    assert rows[1][:9] == ("张三", "食品安全总监", "某某餐饮有限公司", None, "西山镇", "食品销售",
                           90, 100, "合格")  # fmt: skip
    settings = make_settings(database_url=url)
    bad_filter = Namespace(exam_command="export", out=str(out), filter="2025-13")
    assert run_exam_command(settings, bad_filter) == 2
    assert "无法识别的筛选条件：2025-13" in capsys.readouterr().err
    sheet = _csv(tmp_path, ["判断,导入的判断题示例,,,,,错,示例解析。,通用,安全员,1,示例,fsl,44"])
    assert run_exam_command(settings, Namespace(exam_command="import-bank", file=str(sheet))) == 0
    assert "已导入 1 道题（bank.csv）" in capsys.readouterr().out
    broken = _csv(tmp_path, ["判断,缺少答案的判断题,,,,,,示例解析。,通用,安全员,1,示例,fsl,44"])
    assert run_exam_command(settings, Namespace(exam_command="import-bank", file=str(broken))) == 1
    assert "未导入任何题目" in capsys.readouterr().err
    missing = Namespace(exam_command="import-bank", file=str(tmp_path / "none.xlsx"))
    assert run_exam_command(settings, missing) == 2


# --- every text entry point takes any text ------------------------------------------------------


DATES = r"\d{4}[-年/.]\d{1,2}([-月/.]\d{1,2})?(~\d{4}-\d{1,2})?"


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.from_regex(DATES))
def test_text_entry_points_take_any_text(text: str) -> None:
    found = exam_issue.parse_line(text)
    # A placeholder ("-") is recorded as skip_<step> for an optional step.
    assert {k.removeprefix("skip_") for k in found} <= set(exam_issue.STEPS)
    assert {k for k in found if k.startswith("skip_")} <= {"skip_credit_code", "skip_township"}
    for step in exam_issue.TEXT_STEPS:
        value = exam_issue.check_value(step, text)
        assert value is None or 2 <= len(value) <= 60
    flt, unknown = parse_filter(text)
    assert flt.start is None or flt.end is None or flt.start <= flt.end
    assert all(word in text for word in unknown)
    name = exams.clean_name(text)
    assert name is None or 2 <= len(name) <= 20


def test_paper_settings_from_plain_values_are_checked_then_saved(
    session: Session, bank: Bank
) -> None:
    from bot.config import Settings
    from bot.exams.paper_settings import save_paper_settings

    settings = Settings(_env_file=None, database_url="sqlite://")  # type: ignore[call-arg]
    with pytest.raises(PaperError) as bad:
        save_paper_settings(
            session, actor_id=1, bank=bank, counts={"single": 0, "multiple": 2, "judge": 101},
            points={"multiple": 0.1}, minutes=300, pass_mark=0, sector_share=1.5,
        )  # fmt: skip
    assert bad.value.problems == [
        "多选题每题分值应在 0.5-50 分之间（现为 0.1）",
        "判断题题数应为 0-100 的整数",
        "限时应为 5-240 分钟的整数",
        "合格线应大于 0（现为 0 分）",
        "本行业题目占比应在 0% 到 100% 之间",
    ]
    # Each problem names its setting, so a form can show it beside the field.
    assert list(bad.value.fields) == [
        "multiple_points", "judge_count", "minutes", "pass_mark", "sector_share"
    ]  # fmt: skip
    with pytest.raises(PaperError) as short:
        save_paper_settings(
            session, actor_id=1, bank=bank, counts={"multiple": 30}, points={"multiple": 3},
            minutes=30, pass_mark=60,
        )  # fmt: skip
    assert short.value.problems[:2] == [
        "题库不足以组卷：",
        "通用·食品安全总监的多选题只有 23 道，试卷需要 30 道",
    ]
    assert exam_issue.get_default_paper(session, settings) == default_paper()
    paper = save_paper_settings(
        session, actor_id=1, bank=bank, counts={"single": 10, "judge": 10},
        points={"single": 5, "judge": 5}, minutes=20, pass_mark=60, sector_share=0.3,
    )  # fmt: skip
    assert exam_issue.get_default_paper(session, settings) == paper
    assert (paper.size, paper.total, paper.minutes, paper.sector_share) == (20, 100, 20, 0.3)
