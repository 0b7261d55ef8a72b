"""What a sitting looks like: the question shown, the answer sheet, the result.

Read-only: these functions never change a row (bot.exams does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from bot.exams.bank import Bank
from bot.exams.paper import Paper
from bot.models import Attempt, AttemptItem, Exam, as_utc
from knowledge.quiz import JUDGE_OPTIONS, TYPES, Question

__all__ = [
    "LETTERS",
    "OptionView",
    "QuestionView",
    "Result",
    "ReviewItem",
    "TopicLine",
    "answered",
    "indexes",
    "item_at",
    "items",
    "join",
    "question_view",
    "result_of",
    "size",
]

LETTERS = "ABCDEF"


def items(session: Session, attempt_id: int) -> list[AttemptItem]:
    """The attempt's questions in order."""
    return list(
        session.exec(
            select(AttemptItem)
            .where(col(AttemptItem.attempt_id) == attempt_id)
            .order_by(col(AttemptItem.position))
        )
    )


def size(session: Session, attempt_id: int) -> int:
    """How many questions the attempt has (a COUNT: this runs on every press)."""
    return session.exec(
        select(func.count()).where(col(AttemptItem.attempt_id) == attempt_id)
    ).one()


def answered(session: Session, attempt_id: int) -> tuple[bool, ...]:
    """Which positions have an answer, in order (one column, no ORM objects)."""
    rows = session.exec(
        select(AttemptItem.chosen)
        .where(col(AttemptItem.attempt_id) == attempt_id)
        .order_by(col(AttemptItem.position))
    )
    return tuple(chosen is not None for chosen in rows)


def item_at(session: Session, attempt_id: int, position: int) -> AttemptItem | None:
    """One question of the attempt."""
    return session.get(AttemptItem, (attempt_id, position))


def indexes(text: str | None) -> frozenset[int]:
    """Option indexes stored as "0,2" (None: no answer)."""
    return frozenset(int(p) for p in (text or "").split(",") if p)


def join(indexes: frozenset[int]) -> str | None:
    """Option indexes as stored ("0,2"); None for none."""
    return ",".join(map(str, sorted(indexes))) or None


@dataclass(frozen=True, slots=True)
class OptionView:
    """One option as shown: its display letter, text and whether it is chosen."""

    index: int
    letter: str
    text: str
    selected: bool


@dataclass(frozen=True, slots=True)
class QuestionView:
    """Everything a question message shows (and, in practice, its verdict)."""

    attempt_id: int
    mode: str
    position: int
    total: int
    type: str
    type_name: str
    points: float
    stem: str
    options: tuple[OptionView, ...]
    answered: tuple[bool, ...]
    remaining: int | None
    revealed: bool
    correct: bool | None
    chosen_letters: str
    answer_letters: str
    question: Question | None

    @property
    def answered_count(self) -> int:
        """How many questions have an answer."""
        return sum(self.answered)


def _display_letters(question: Question, order: Sequence[int], indexes: frozenset[int]) -> str:
    shown = sorted(order.index(i) for i in indexes if i in order)
    if question.type == "judge":
        return "、".join(JUDGE_OPTIONS[order[i]] for i in shown)
    return "".join(LETTERS[i] for i in shown)


def question_view(
    session: Session, attempt: Attempt, bank: Bank, now: datetime, position: int | None = None
) -> QuestionView:
    """The current (or given) question of an attempt as it should be shown now."""
    flags = answered(session, attempt.id or 0)
    item = item_at(session, attempt.id or 0, attempt.current if position is None else position)
    assert item is not None  # positions come from the attempt or were checked by the caller
    question = bank.by_id.get(item.question_id)
    order = [int(p) for p in item.option_order.split(",")]
    chosen = indexes(item.chosen)
    marked = chosen if attempt.mode == "exam" or item.chosen else indexes(item.pending)
    options = tuple(
        OptionView(
            i,
            JUDGE_OPTIONS[o] if question and question.type == "judge" else LETTERS[i],
            question.options[o] if question else "",
            o in marked,
        )
        for i, o in enumerate(order)
    )
    remaining = None
    if attempt.deadline is not None:
        remaining = max(0, int((as_utc(attempt.deadline) - now.astimezone(UTC)).total_seconds()))
    return QuestionView(
        attempt_id=attempt.id or 0,
        mode=attempt.mode,
        position=item.position,
        total=len(flags),
        type=question.type if question else "single",
        type_name=TYPES[question.type] if question else "",
        points=item.points,
        stem=question.stem if question else "（此题已从题库删除）",
        options=options,
        answered=flags,
        remaining=remaining,
        revealed=attempt.mode != "exam" and item.chosen is not None,
        correct=item.correct,
        chosen_letters=_display_letters(question, order, chosen) if question else "",
        answer_letters=_display_letters(question, order, question.answer) if question else "",
        question=question,
    )


@dataclass(frozen=True, slots=True)
class TopicLine:
    """Right answers and points per topic."""

    topic: str
    right: int
    total: int
    earned: float
    points: float


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One question of a sitting as reviewed afterwards: answers, explanation, 依据."""

    number: int
    correct: bool
    question: Question
    options: tuple[tuple[str, str], ...]
    chosen: str
    answer: str
    earned: float
    points: float


@dataclass(frozen=True, slots=True)
class Result:
    """A submitted attempt as the candidate and the inspector see it."""

    attempt: Attempt
    exam: Exam | None
    score: float
    max_score: float
    passed: bool | None
    pass_mark: float | None
    used_seconds: int
    right: int
    total: int
    topics: tuple[TopicLine, ...]
    review: tuple[ReviewItem, ...] = field(default=())

    @property
    def wrong(self) -> tuple[ReviewItem, ...]:
        """The questions answered wrongly or not at all."""
        return tuple(item for item in self.review if not item.correct)


def result_of(session: Session, attempt: Attempt, bank: Bank) -> Result:
    """Score, pass, per-topic breakdown and the wrong answers of a submitted attempt."""
    exam = session.get(Exam, attempt.exam_id) if attempt.exam_id else None
    topics: dict[str, list[float]] = {}
    review: list[ReviewItem] = []
    right = total = 0
    for item in items(session, attempt.id or 0):
        question = bank.by_id.get(item.question_id)
        if question is None:
            continue
        total += 1
        right += bool(item.correct)
        line = topics.setdefault(question.topic, [0, 0, 0.0, 0.0])
        line[0] += bool(item.correct)
        line[1] += 1
        line[2] += item.earned
        line[3] += item.points
        order = [int(p) for p in item.option_order.split(",")]
        review.append(
            ReviewItem(
                number=item.position + 1,
                correct=bool(item.correct),
                question=question,
                options=tuple((LETTERS[i], question.options[o]) for i, o in enumerate(order))
                if question.type != "judge"
                else (),
                chosen=_display_letters(question, order, indexes(item.chosen)),
                answer=_display_letters(question, order, question.answer),
                earned=item.earned,
                points=item.points,
            )
        )
    end = as_utc(attempt.submitted_at) if attempt.submitted_at else as_utc(attempt.started_at)
    return Result(
        attempt=attempt,
        exam=exam,
        score=attempt.score or 0.0,
        max_score=attempt.max_score,
        passed=attempt.passed,
        pass_mark=Paper.from_json(exam.paper).pass_mark if exam else None,
        used_seconds=int((end - as_utc(attempt.started_at)).total_seconds()),
        right=right,
        total=total,
        topics=tuple(
            TopicLine(t, int(v[0]), int(v[1]), v[2], v[3]) for t, v in sorted(topics.items())
        ),
        review=tuple(review),
    )
