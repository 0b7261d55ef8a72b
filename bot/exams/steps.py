"""Units of work the exam chat handlers run off the event loop, one call per update.

Each function bundles the service calls one handler made in one session, so the handler runs
them with a single `await context.db(...)` and the loop stays free for other users' presses.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.config import Settings
from bot.exams import issue as exam_issue
from bot.exams import paper_settings as editor
from bot.exams import services as exams
from bot.exams.bank import Bank
from bot.exams.paper import Paper
from bot.exams.services import Gate, Press, Step
from bot.exams.views import QuestionView, Result, question_view, result_of
from bot.models import Attempt, Exam
from bot.users import audit

if TYPE_CHECKING:
    from bot.exams.exports import Report
    from bot.exams.stats import RecordFilter

__all__ = [
    "act",
    "apply_paper_command",
    "issue_default",
    "practice_result",
    "report_audited",
    "reset_paper",
    "review_of",
    "start_and_show",
]


def act(
    session: Session, /, action: Callable[..., Step], press: Press, **args: Any
) -> tuple[Step, QuestionView | None]:
    """Run one action for the presser; the question as it is now, in the same session."""
    step = action(session, press, **args)
    if step.refusal is not None or step.finished or step.attempt is None:
        return step, None
    return step, question_view(session, step.attempt, press.bank, press.now)


def start_and_show(
    session: Session,
    *,
    exam_id: int,
    user_id: int,
    bank: Bank,
    rng: random.Random,
    now: datetime,
    message_id: int,
) -> tuple[Gate, Attempt | None, QuestionView | None]:
    """Start the sitting, remember its message and show question 1 (when it did start)."""
    gate, attempt = exams.start_exam(
        session, exam_id=exam_id, user_id=user_id, bank=bank, rng=rng, now=now
    )
    if attempt is None or gate is not Gate.STARTED:
        return gate, attempt, None
    exams.set_message(session, attempt_id=attempt.id or 0, message_id=message_id)
    return gate, attempt, question_view(session, attempt, bank, now)


def review_of(session: Session, attempt_id: int, user_id: int, bank: Bank) -> Result | None:
    """The result of the person's own submitted attempt, or None."""
    attempt = exams.own_submitted(session, attempt_id=attempt_id, user_id=user_id)
    return result_of(session, attempt, bank) if attempt else None


def practice_result(session: Session, attempt: Attempt, bank: Bank) -> tuple[Result, int]:
    """A practice round's result and how many mistakes are still open to review."""
    result = result_of(session, attempt, bank)
    return result, len(exams.open_mistakes(session, attempt.user_id, bank))


def issue_default(
    session: Session,
    *,
    settings: Settings,
    inspector_id: int,
    bank: Bank,
    rng: random.Random,
    now: datetime,
) -> tuple[Paper, Exam]:
    """Issue the confirmed draft with the default paper (LookupError, PaperError as issue)."""
    paper = exam_issue.get_default_paper(session, settings)
    exam = exam_issue.issue(
        session,
        inspector_id=inspector_id,
        bank=bank,
        paper=paper,
        hours=settings.exam_code_hours,
        rng=rng,
        now=now,
    )
    return paper, exam


def report_audited(
    session: Session,
    flt: RecordFilter,
    bank: Bank,
    tz: ZoneInfo,
    *,
    by: int,
    action: str,
    detail: str,
) -> Report:
    """Records and statistics for a filter, with the request logged."""
    # openpyxl and matplotlib load with the first report, not with every worker's start.
    from bot.exams.exports import build_report

    report = build_report(session, flt, bank, tz)
    audit(session, actor_id=by, action=action, detail=detail)
    return report


def apply_paper_command(session: Session, *, actor_id: int, text: str, bank: Bank) -> None:
    """/exam_paper's argument: 'default', a JSON paper (PaperError if invalid) or nothing."""
    editor.stop_editing(session, actor_id)  # the editor shown afresh: no field is awaited
    if text == "default":
        exam_issue.set_default_paper(session, actor_id=actor_id, paper=None)
    elif text:
        editor.save_paper(session, actor_id=actor_id, bank=bank, paper=Paper.from_json(text))


def reset_paper(session: Session, actor_id: int) -> None:
    """Back to the built-in paper, with no field awaited."""
    exam_issue.set_default_paper(session, actor_id=actor_id, paper=None)
    editor.stop_editing(session, actor_id)
