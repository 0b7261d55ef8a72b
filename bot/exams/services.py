"""抽考 sittings and practice rounds: the bank, answering, navigation, submission, the 错题本.

Every action names the attempt and the position it was shown for, and is checked against the
row: owner, state, deadline and the current position (a button of an earlier question or an
earlier attempt is stale). Writes are conditional UPDATEs, so double taps and concurrent workers
change the row once. Scoring rules and the default paper are in bot/exams/paper.py.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.db import ensure_row
from bot.exams.bank import Bank
from bot.exams.paper import Paper, draw_exam, draw_practice, option_order, score_answer
from bot.exams.views import indexes, item_at, items, join, size
from bot.kit.refusal import Refusal
from bot.models import Attempt, AttemptItem, Exam, Mistake, as_utc
from knowledge.quiz import ROLES, Question

__all__ = [
    "Gate",
    "Press",
    "Reason",
    "Step",
    "active_round",
    "awaiting_name",
    "check",
    "choose",
    "confirm",
    "due_attempts",
    "finish_due",
    "goto",
    "next_question",
    "open_exam",
    "open_mistakes",
    "own_submitted",
    "refused",
    "set_candidate_name",
    "start_exam",
    "start_practice",
    "start_review",
    "submit",
    "toggle",
    "typed_code",
]

PRACTICE_POINTS = 10.0
REVIEW_SIZE = 10
NAME_LENGTH = (2, 20)
_NOT_NAME = re.compile(r"[0-9?？!！:：/@#<>]")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on site
CODE_LENGTH = 8
_CODE_RE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


# --- creating attempts ------------------------------------------------------------------------


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC)


def _create(
    session: Session,
    attempt: Attempt,
    drawn: Sequence[tuple[Question, float]],
    rng: random.Random,
) -> Attempt:
    attempt.max_score = sum(points for _, points in drawn)
    session.add(attempt)
    session.flush()
    assert attempt.id is not None
    for position, (q, points) in enumerate(drawn):
        order = ",".join(map(str, option_order(q, rng)))
        session.add(
            AttemptItem(
                attempt_id=attempt.id,
                position=position,
                question_id=q.id,
                option_order=order,
                points=points,
            )
        )
    session.commit()
    return attempt


def _abandon_rounds(session: Session, user_id: int) -> None:
    """A new practice round makes the buttons of the previous one stale."""
    session.exec(
        update(Attempt)
        .where(col(Attempt.user_id) == user_id, col(Attempt.status) == "active")
        .where(col(Attempt.mode).in_(("practice", "review")))
        .values(status="abandoned")
    )


def active_round(session: Session, user_id: int) -> Attempt | None:
    """The user's unfinished practice or 错题本 round, if any."""
    return session.exec(
        select(Attempt)
        .where(col(Attempt.user_id) == user_id, col(Attempt.status) == "active")
        .where(col(Attempt.mode).in_(("practice", "review")))
        .order_by(col(Attempt.id).desc())
    ).first()


def start_practice(
    session: Session,
    *,
    user_id: int,
    sector: str,
    role: str,
    bank: Bank,
    rng: random.Random,
    now: datetime,
) -> Attempt:
    """A 10-question practice round for a sector and role (raises PaperError if unknown)."""
    questions = draw_practice(bank.questions, sector, role, rng)
    _abandon_rounds(session, user_id)
    attempt = Attempt(
        user_id=user_id, mode="practice", sector=sector, role=role, started_at=_utc(now)
    )
    return _create(session, attempt, [(q, PRACTICE_POINTS) for q in questions], rng)


def open_mistakes(session: Session, user_id: int, bank: Bank) -> list[Mistake]:
    """The user's 错题本: wrong and not yet answered right, newest first."""
    rows = session.exec(
        select(Mistake)
        .where(col(Mistake.user_id) == user_id, col(Mistake.cleared).is_(False))
        .order_by(col(Mistake.last_wrong_at).desc(), col(Mistake.question_id))
    ).all()
    return [m for m in rows if m.question_id in bank.by_id]


def start_review(
    session: Session, *, user_id: int, bank: Bank, rng: random.Random, now: datetime
) -> Attempt | None:
    """A round of up to 10 questions from the 错题本; None when it is empty."""
    mistakes = open_mistakes(session, user_id, bank)[:REVIEW_SIZE]
    if not mistakes:
        return None
    _abandon_rounds(session, user_id)
    attempt = Attempt(
        user_id=user_id, mode="review", sector="all", role="all", started_at=_utc(now)
    )
    drawn = [(bank.by_id[m.question_id], PRACTICE_POINTS) for m in mistakes]
    return _create(session, attempt, drawn, rng)


# --- opening an exam by its code ----------------------------------------------------------------


class Gate(StrEnum):
    """What opening an exam link leads to."""

    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    TAKEN = "taken"  # someone else holds the code, or it was used
    ISSUER = "issuer"  # the issuing inspector looking at their own link
    NEED_NAME = "need_name"
    CONFIRM = "confirm"
    RESUME = "resume"
    STARTED = "started"
    DONE = "done"


def exam_attempt(session: Session, exam_id: int) -> Attempt | None:
    """The one sitting of an exam."""
    return session.exec(select(Attempt).where(col(Attempt.exam_id) == exam_id)).first()


def find_exam(session: Session, code: str) -> Exam | None:
    """An exam by its code (case and spaces ignored)."""
    code = code.strip().upper()
    return session.exec(select(Exam).where(col(Exam.code) == code)).first() if code else None


def typed_code(text: str) -> str | None:
    """The exam code in a typed message ("abcd 2345" or "/exam ABCD2345"), or None."""
    code = "".join(text.split()).upper()
    return code if _CODE_RE.fullmatch(code) else None


def own_submitted(session: Session, *, attempt_id: int, user_id: int) -> Attempt | None:
    """The user's own submitted exam sitting (for its review), or None."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id or attempt.status != "submitted":
        return None
    return attempt


def open_exam(
    session: Session, *, code: str, user_id: int, now: datetime
) -> tuple[Gate, Exam | None, Attempt | None]:
    """Open a code: the first person to open it holds it; checks expiry, use and owner."""
    exam = find_exam(session, code)
    if exam is None:
        return Gate.NOT_FOUND, None, None
    attempt = exam_attempt(session, exam.id or 0)
    expired = _utc(now) >= as_utc(exam.expires_at)
    if exam.inspector_id == user_id:
        if attempt is None and expired:  # the issuer sees it expired, not "send the link"
            _expire(session, exam)
        return Gate.ISSUER, exam, attempt
    if exam.candidate_id not in (None, user_id):
        return Gate.TAKEN, exam, None
    if attempt is not None:
        return (Gate.RESUME if attempt.status == "active" else Gate.DONE), exam, attempt
    if exam.status == "expired" or expired:
        _expire(session, exam)
        return Gate.EXPIRED, exam, None
    if exam.status != "issued":
        return Gate.TAKEN, exam, None
    claimed = session.exec(
        update(Exam)
        .where(col(Exam.id) == exam.id, col(Exam.status) == "issued")
        .where((col(Exam.candidate_id) == user_id) | col(Exam.candidate_id).is_(None))
        .values(candidate_id=user_id)
    ).rowcount
    session.commit()
    if claimed != 1:
        return Gate.TAKEN, exam, None
    session.refresh(exam)
    return (Gate.CONFIRM if exam.candidate_name else Gate.NEED_NAME), exam, None


def _expire(session: Session, exam: Exam) -> None:
    if exam.status == "issued":
        exam.status = "expired"
        session.add(exam)
        session.commit()


def clean_name(text: str) -> str | None:
    """A person's name as typed (2-20 characters, no digits or question marks), or None."""
    name = " ".join(text.split())
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1] or _NOT_NAME.search(name):
        return None
    return name


def awaiting_name(session: Session, user_id: int, now: datetime) -> Exam | None:
    """The unexpired, unstarted exam this user holds without a name (their next text is it)."""
    return session.exec(
        select(Exam)
        .where(col(Exam.candidate_id) == user_id, col(Exam.status) == "issued")
        .where(col(Exam.candidate_name).is_(None), col(Exam.expires_at) > _utc(now))
        .order_by(col(Exam.created_at).desc())
    ).first()


def set_candidate_name(
    session: Session, *, exam_id: int, user_id: int, name: str | None, now: datetime
) -> Exam | None:
    """The holder of an unstarted code states their name (None: 修改姓名, ask again)."""
    exam = session.get(Exam, exam_id)
    cleaned = clean_name(name) if name is not None else None
    if exam is None or exam.candidate_id != user_id or (name is not None and cleaned is None):
        return None
    if exam.status != "issued" or _utc(now) >= as_utc(exam.expires_at):
        return None
    exam.candidate_name = cleaned
    session.add(exam)
    session.commit()
    return exam


def start_exam(
    session: Session,
    *,
    exam_id: int,
    user_id: int,
    bank: Bank,
    rng: random.Random,
    now: datetime,
) -> tuple[Gate, Attempt | None]:
    """The candidate confirmed: draw the paper and start the clock (once per code)."""
    exam = session.get(Exam, exam_id)
    if exam is None or exam.candidate_id != user_id:
        return Gate.TAKEN, None
    if exam.status == "issued" and _utc(now) >= as_utc(exam.expires_at):
        _expire(session, exam)
        return Gate.EXPIRED, None
    if not exam.candidate_name:
        return Gate.NEED_NAME, None
    started = session.exec(
        update(Exam)
        .where(col(Exam.id) == exam_id, col(Exam.status) == "issued")
        .values(status="started")
    ).rowcount
    if started != 1:
        session.rollback()
        return Gate.RESUME, exam_attempt(session, exam_id)
    paper = Paper.from_json(exam.paper)
    drawn = draw_exam(bank.questions, exam.sector, exam.role, paper, rng)
    attempt = Attempt(
        exam_id=exam_id,
        user_id=user_id,
        mode="exam",
        sector=exam.sector,
        role=exam.role,
        candidate_name=exam.candidate_name,
        position=ROLES.get(exam.role, exam.role),
        started_at=_utc(now),
        deadline=_utc(now) + timedelta(minutes=paper.minutes),
    )
    return Gate.STARTED, _create(session, attempt, drawn, rng)


# --- answering ----------------------------------------------------------------------------------


class Reason(StrEnum):
    """Why a button press changed nothing."""

    MISSING = "missing"
    NOT_YOURS = "not_yours"
    STALE = "stale"
    CLOSED = "closed"
    TIME_UP = "time_up"
    EMPTY = "empty"


def refused(reason: str) -> Refusal:
    """A 抽考 refusal; its sentences are templates/exams/exam_refusal.html.j2."""
    return Refusal("exam_refusal", reason)


@dataclass(slots=True)
class Step:
    """The outcome of one action; finished means this action submitted the attempt."""

    attempt: Attempt | None
    refusal: Reason | None = None
    finished: bool = False
    revealed: bool = False  # practice: this action answered a question


@dataclass(frozen=True, slots=True)
class Press:
    """A button press on a sitting: whose, on which attempt, shown for which position, when."""

    attempt_id: int
    user_id: int
    position: int | None  # None: not about one question (交卷)
    bank: Bank
    now: datetime


def check(session: Session, press: Press) -> Step:
    """Load and check the attempt (owner, state, deadline, position); a passed deadline
    submits it (Step.finished). Views that change nothing use it alone."""
    attempt = session.get(Attempt, press.attempt_id)
    if attempt is None:
        return Step(None, Reason.MISSING)
    if attempt.user_id != press.user_id:
        return Step(None, Reason.NOT_YOURS)
    if attempt.status != "active":
        return Step(attempt, Reason.CLOSED)
    if attempt.deadline is not None and _utc(press.now) >= as_utc(attempt.deadline):
        finished = _finish(session, attempt, press.bank, press.now)
        return Step(attempt, Reason.TIME_UP, finished=finished)
    if press.position is not None and press.position != attempt.current:
        return Step(attempt, Reason.STALE)
    return Step(attempt)


def _at(session: Session, press: Press) -> tuple[Step, AttemptItem | None]:
    """The checks, then the item the press is about (None when refused)."""
    step = check(session, press)
    if step.refusal is not None or step.attempt is None or press.position is None:
        return step, None
    item = item_at(session, press.attempt_id, press.position)
    return (step, item) if item is not None else (Step(step.attempt, Reason.STALE), None)


def _move(session: Session, attempt: Attempt, position: int, target: int) -> bool:
    """Claim the attempt at position and set its current question (False: someone was faster)."""
    moved = session.exec(
        update(Attempt)
        .where(col(Attempt.id) == attempt.id, col(Attempt.status) == "active")
        .where(col(Attempt.current) == position)
        .values(current=target)
    ).rowcount
    if moved != 1:
        session.rollback()
        return False
    attempt.current = target
    return True


def _option(item: AttemptItem, option: int) -> int | None:
    order = [int(p) for p in item.option_order.split(",")]
    return order[option] if 0 <= option < len(order) else None


def choose(session: Session, press: Press, *, option: int) -> Step:
    """单选/判断: in an exam, record (or change) the answer and move on; in practice, reveal."""
    step, item = _at(session, press)
    if item is None or step.attempt is None:
        return step
    question = press.bank.by_id.get(item.question_id)
    original = _option(item, option)
    if question is None or question.type == "multiple" or original is None:
        return Step(step.attempt, Reason.STALE)
    attempt = step.attempt
    if attempt.mode != "exam":
        return _reveal(session, attempt, item, question, frozenset({original}), press.now)
    total = size(session, press.attempt_id)
    if not _move(session, attempt, item.position, min(item.position + 1, total - 1)):
        return Step(attempt, Reason.STALE)
    item.chosen = str(original)
    item.answered_at = _utc(press.now)
    session.add(item)
    session.commit()
    return Step(attempt)


def toggle(session: Session, press: Press, *, option: int, on: bool) -> Step:
    """多选: set one option on or off (idempotent, so a double tap changes nothing more)."""
    step, item = _at(session, press)
    if item is None or step.attempt is None:
        return step
    original = _option(item, option)
    question = press.bank.by_id.get(item.question_id)
    if original is None or question is None or question.type != "multiple":
        return Step(step.attempt, Reason.STALE)
    exam = step.attempt.mode == "exam"
    if not exam and item.chosen is not None:
        return Step(step.attempt, Reason.STALE)
    current = indexes(item.chosen if exam else item.pending)
    changed = current | {original} if on else current - {original}
    if exam:
        item.chosen = join(changed)
        item.answered_at = _utc(press.now)
    else:
        item.pending = join(changed) or ""
    if not _move(session, step.attempt, item.position, item.position):
        return Step(step.attempt, Reason.STALE)
    session.add(item)
    session.commit()
    return step


def confirm(session: Session, press: Press) -> Step:
    """Practice 多选 确认: score the toggled options."""
    step, item = _at(session, press)
    if item is None or step.attempt is None:
        return step
    question = press.bank.by_id.get(item.question_id)
    if step.attempt.mode == "exam" or question is None:
        return Step(step.attempt, Reason.STALE)
    chosen = indexes(item.pending)
    if not chosen:
        return Step(step.attempt, Reason.EMPTY)
    return _reveal(session, step.attempt, item, question, chosen, press.now)


def _reveal(
    session: Session,
    attempt: Attempt,
    item: AttemptItem,
    question: Question,
    chosen: frozenset[int],
    now: datetime,
) -> Step:
    """Practice: score one answer once (a conditional UPDATE), update the 错题本."""
    right, earned = score_answer(question, chosen, item.points)
    answered = session.exec(
        update(AttemptItem)
        .where(col(AttemptItem.attempt_id) == item.attempt_id)
        .where(col(AttemptItem.position) == item.position, col(AttemptItem.chosen).is_(None))
        .values(chosen=join(chosen), correct=right, earned=earned, answered_at=_utc(now))
    ).rowcount
    if answered != 1:
        session.rollback()
        return Step(attempt, Reason.STALE)
    _record_mistake(session, attempt.user_id, question.id, right, now)
    session.commit()
    session.refresh(item)
    return Step(attempt, revealed=True)


def _record_mistake(
    session: Session, user_id: int, question_id: str, right: bool, now: datetime
) -> None:
    mistake = session.get(Mistake, (user_id, question_id))
    if right:
        if mistake is not None and not mistake.cleared:
            mistake.cleared = True
            session.add(mistake)
        return
    if mistake is None:
        mistake = ensure_row(
            session, Mistake(user_id=user_id, question_id=question_id, wrong_count=0)
        )
    mistake.wrong_count += 1
    mistake.cleared = False
    mistake.last_wrong_at = _utc(now)
    session.add(mistake)


def next_question(session: Session, press: Press) -> Step:
    """Practice 下一题 after an answer; after the last one the round is scored."""
    step, item = _at(session, press)
    if item is None or step.attempt is None:
        return step
    if step.attempt.mode == "exam" or item.chosen is None:
        return Step(step.attempt, Reason.STALE)
    total = size(session, press.attempt_id)
    if item.position + 1 < total:
        moved = _move(session, step.attempt, item.position, item.position + 1)
        session.commit()
        return step if moved else Step(step.attempt, Reason.STALE)
    finished = _finish(session, step.attempt, press.bank, press.now)
    return Step(step.attempt, None if finished else Reason.STALE, finished=finished)


def goto(session: Session, press: Press, *, target: int) -> Step:
    """Exam navigation (上一题/下一题/答题卡) from the question shown to another."""
    step = check(session, press)
    if step.refusal is not None or step.attempt is None or press.position is None:
        return step
    total = size(session, press.attempt_id)
    if step.attempt.mode != "exam" or not 0 <= target < total:
        return Step(step.attempt, Reason.STALE)
    if not _move(session, step.attempt, press.position, target):
        return Step(step.attempt, Reason.STALE)
    session.commit()
    return step


def submit(session: Session, press: Press) -> Step:
    """The candidate confirmed 交卷."""
    step = check(session, press)
    if step.refusal is not None or step.attempt is None:
        return step
    if step.attempt.mode != "exam":
        return Step(step.attempt, Reason.STALE)
    finished = _finish(session, step.attempt, press.bank, press.now)
    return Step(step.attempt, None if finished else Reason.CLOSED, finished=finished)


def due_attempts(session: Session) -> list[Attempt]:
    """Active exam sittings, for re-registering their auto-submit at start-up."""
    return list(
        session.exec(
            select(Attempt).where(col(Attempt.mode) == "exam", col(Attempt.status) == "active")
        )
    )


def overdue_attempts(session: Session, now: datetime) -> list[int]:
    """Sittings still active after their deadline (their timer was lost): for the sweep."""
    return [
        i
        for i in session.exec(
            select(Attempt.id).where(
                col(Attempt.mode) == "exam",
                col(Attempt.status) == "active",
                col(Attempt.deadline) <= _utc(now),
            )
        )
        if i is not None
    ]


def finish_due(session: Session, *, attempt_id: int, bank: Bank, now: datetime) -> Attempt | None:
    """Submit a sitting whose time is up; the attempt if this call submitted it."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.status != "active" or attempt.deadline is None:
        return None
    if _utc(now) < as_utc(attempt.deadline):
        return None
    return attempt if _finish(session, attempt, bank, now) else None


def _finish(session: Session, attempt: Attempt, bank: Bank, now: datetime) -> bool:
    """Score and close the attempt once: the conditional UPDATE is the claim."""
    claimed = session.exec(
        update(Attempt)
        .where(col(Attempt.id) == attempt.id, col(Attempt.status) == "active")
        .values(status="submitted")
    ).rowcount
    if claimed != 1:
        session.rollback()
        session.refresh(attempt)
        return False
    exam = session.get(Exam, attempt.exam_id) if attempt.exam_id else None
    paper = Paper.from_json(exam.paper) if exam else None
    partial = paper.multiple_partial if paper else 0.0
    score = max_score = 0.0
    for item in items(session, attempt.id or 0):
        question = bank.by_id.get(item.question_id)
        if question is None:  # removed from the bank since the draw: not scored either way
            continue
        max_score += item.points
        if attempt.mode == "exam":
            chosen = indexes(item.chosen)
            item.correct, item.earned = score_answer(
                question, chosen, item.points, multiple_partial=partial
            )
            _record_mistake(session, attempt.user_id, question.id, item.correct, now)
            session.add(item)
        score += item.earned
    end = _utc(now)
    if attempt.deadline is not None:
        end = min(end, as_utc(attempt.deadline))
    attempt.status = "submitted"
    attempt.submitted_at = end
    attempt.score = round(score, 2)
    attempt.max_score = max_score
    attempt.passed = attempt.score >= paper.pass_mark if paper else None
    if exam is not None:
        exam.status = "submitted"
        session.add(exam)
    session.add(attempt)
    session.commit()
    return True


def set_message(session: Session, *, attempt_id: int, message_id: int) -> None:
    """Remember the message that shows the sitting (edited in place, closed at the end)."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is not None:
        attempt.message_id = message_id
        session.add(attempt)
        session.commit()
