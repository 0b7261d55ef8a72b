"""What the 抽考 handlers share: the bank, the clock, question messages, results, the timer job.

Every handler and job reads the time through now(), which calls this module's
utcnow: tests replace it (monkeypatch) to move the clock, also across a restart. Randomness
comes from bot_data.extras["exam_rng"] when a test sets one, else SystemRandom (codes must not
be guessable).
"""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, Job, JobQueue

from bot import exams
from bot.context import BotData, Context
from bot.db import session_scope
from bot.exam_bank import Bank, load_exam_bank
from bot.exam_views import QuestionView, Result, result_of
from bot.exams import Refusal, Step
from bot.models import Attempt, as_utc, utcnow
from bot.render import label, render, split_message
from bot.users import mark_blocked
from handlers.common import answer_query, button, keyboard
from knowledge.quiz import ROLES, SECTORS

__all__ = [
    "bank",
    "bank_of",
    "deliver_result",
    "now",
    "practice_summary",
    "question_markup",
    "question_text",
    "refuse",
    "resume_exams",
    "rng",
    "schedule_submit",
    "send",
    "sheet_markup",
    "submit_due",
]

logger = logging.getLogger(__name__)
AnyApp = Application[Any, Any, Any, Any, BotData, Any]
SHEET_COLUMNS = 6


def bank_of(data: BotData) -> Bank:
    """The question bank, loaded once (at start-up, or on first use)."""
    loaded = data.extras.get("exam_bank")
    if not isinstance(loaded, Bank):
        with session_scope(data.engine) as session:
            loaded = load_exam_bank(session)
        data.extras["exam_bank"] = loaded
    return loaded


def bank(context: Context) -> Bank:
    """The question bank of this application."""
    return bank_of(context.bot_data)


def now(context: Context | None = None) -> datetime:
    """The current time, looked up at call time so that tests can move the clock."""
    return utcnow()


def rng(context: Context) -> random.Random:
    """Randomness for draws and codes (seeded in tests)."""
    found = context.bot_data.extras.get("exam_rng")
    return found if isinstance(found, random.Random) else random.SystemRandom()


async def send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> int | None:
    """Send HTML text split at Telegram's limit; the message id of the last part."""
    sent = None
    parts = split_message(text)
    for i, part in enumerate(parts):
        sent = await bot.send_message(
            chat_id, part, reply_markup=markup if i == len(parts) - 1 else None
        )
    return sent.message_id if sent else None


async def refuse(update: Update, step: Step) -> None:
    """Explain a refused button press in the spinner's toast."""
    await answer_query(
        update, render("exam_refusal", reason=(step.refusal or Refusal.STALE).value), alert=True
    )


# --- the question message -----------------------------------------------------------------------


def _clock_text(seconds: int) -> str:
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def question_text(view: QuestionView) -> str:
    """The question message (practice shows the verdict once answered)."""
    remaining = _clock_text(view.remaining) if view.remaining is not None else ""
    selected = "".join(o.letter for o in view.options if o.selected)
    return render("exam_question", v=view, q=view.question, remaining=remaining, selected=selected)


def _option_buttons(view: QuestionView) -> list[InlineKeyboardButton]:
    if view.type == "multiple":
        return [
            button(
                label("exam_toggle_on" if o.selected else "exam_toggle_off", letter=o.letter),
                f"ex:t:{view.attempt_id}:{view.position}:{o.index}:{0 if o.selected else 1}",
            )
            for o in view.options
        ]
    return [
        button(
            label("exam_chosen", letter=o.letter) if o.selected else o.letter,
            f"ex:a:{view.attempt_id}:{view.position}:{o.index}",
        )
        for o in view.options
    ]


def question_markup(view: QuestionView) -> InlineKeyboardMarkup | None:
    """Option buttons, and navigation (exam) or 确认/下一题 (practice)."""
    aid, pos = view.attempt_id, view.position
    if view.mode != "exam":
        if view.revealed:
            last = pos + 1 == view.total
            return keyboard(
                [[button(label("quiz_finish" if last else "quiz_next"), f"ex:n:{aid}:{pos}")]]
            )
        rows = [_option_buttons(view)]
        if view.type == "multiple":
            rows.append([button(label("confirm"), f"ex:c:{aid}:{pos}")])
        return keyboard(rows)
    nav = []
    if pos > 0:
        nav.append(button(label("exam_prev"), f"ex:g:{aid}:{pos}:{pos - 1}"))
    nav.append(
        button(
            label("exam_sheet", done=view.answered_count, total=view.total), f"ex:k:{aid}:{pos}"
        )
    )
    if pos + 1 < view.total:
        nav.append(button(label("exam_next"), f"ex:g:{aid}:{pos}:{pos + 1}"))
    return keyboard(
        [_option_buttons(view), nav, [button(label("exam_submit"), f"ex:q:{aid}:{pos}")]]
    )


def sheet_markup(view: QuestionView) -> InlineKeyboardMarkup | None:
    """答题卡: a button per question (✅ answered, ⬜ not yet), back and 交卷."""
    aid, pos = view.attempt_id, view.position
    cells = [
        button(f"{'✅' if done else '⬜'}{i + 1}", f"ex:g:{aid}:{pos}:{i}")
        for i, done in enumerate(view.answered)
    ]
    rows = [cells[i : i + SHEET_COLUMNS] for i in range(0, len(cells), SHEET_COLUMNS)]
    rows.append(
        [
            button(label("exam_back", number=pos + 1), f"ex:g:{aid}:{pos}:{pos}"),
            button(label("exam_submit"), f"ex:q:{aid}:{pos}"),
        ]
    )
    return keyboard(rows)


# --- results and the timer ----------------------------------------------------------------------


def result_texts(result: Result, *, auto: bool) -> tuple[str, str, str]:
    """(the candidate's result, the wrong answers, the inspector's notice)."""
    ctx = {
        "r": result,
        "a": result.attempt,
        "e": result.exam,
        "auto": auto,
        "sector": SECTORS.get(result.attempt.sector, ""),
        "role": ROLES.get(result.attempt.role, ""),
    }
    wrong = render("exam_wrong", r=result) if result.wrong else ""
    return render("exam_result", **ctx), wrong, render("exam_notify", **ctx)


async def _edit_closed(bot: Bot, attempt: Attempt, *, auto: bool) -> None:
    if attempt.message_id is None:
        return
    try:
        await bot.edit_message_text(
            render("exam_closed", auto=auto),
            chat_id=attempt.user_id,
            message_id=attempt.message_id,
            reply_markup=None,
        )
    except BadRequest as exc:  # the message is gone or already shows this
        logger.info("exam message %s not edited: %s", attempt.message_id, exc)


async def deliver_result(bot: Bot, data: BotData, attempt_id: int, *, auto: bool) -> None:
    """Tell the candidate (result, then wrong answers) and the issuing inspector."""
    with session_scope(data.engine) as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None or attempt.status != "submitted":
            return
        result = result_of(session, attempt, bank_of(data))
    mine, wrong, notice = result_texts(result, auto=auto)
    await _edit_closed(bot, attempt, auto=auto)
    for chat_id, text in ((attempt.user_id, mine), (attempt.user_id, wrong)):
        if text:
            await _safe_send(bot, data, chat_id, text)
    if result.exam is not None:
        await _safe_send(bot, data, result.exam.inspector_id, notice)


async def _safe_send(bot: Bot, data: BotData, chat_id: int, text: str) -> None:
    try:
        await send(bot, chat_id, text)
    except Forbidden:
        with session_scope(data.engine) as session:
            mark_blocked(session, user_id=chat_id)


def _job_name(attempt_id: int) -> str:
    return f"exam-submit-{attempt_id}"


def schedule_submit(
    job_queue: JobQueue[Any] | None, attempt_id: int, when: datetime | None
) -> Job[Any] | None:
    """Submit the sitting automatically at its deadline (named, so re-registering replaces it)."""
    if job_queue is None or when is None:
        return None
    name = _job_name(attempt_id)
    return job_queue.run_once(
        auto_submit,
        when=as_utc(when),
        data=attempt_id,
        name=name,
        job_kwargs={"id": name, "replace_existing": True, "misfire_grace_time": None},
    )


async def auto_submit(context: Context) -> None:
    """The deadline job: submit if still open, then tell both sides."""
    assert context.job is not None
    data = context.job.data
    assert isinstance(data, int)
    await submit_due(context.application, data)


async def submit_due(app: AnyApp, attempt_id: int) -> bool:
    """Submit one sitting whose deadline passed and tell both sides; False if nothing to do."""
    data: BotData = app.bot_data
    with session_scope(data.engine) as session:
        done = exams.finish_due(session, attempt_id=attempt_id, bank=bank_of(data), now=now())
    if done is None:  # already submitted (by the candidate or another worker)
        return False
    await deliver_result(app.bot, data, attempt_id, auto=True)
    return True


async def resume_exams(app: AnyApp) -> None:
    """STARTUP: submit sittings whose time ran out while the bot was down; re-arm the others."""
    data: BotData = app.bot_data
    bank_of(data)
    with session_scope(data.engine) as session:
        active = exams.due_attempts(session)
    current = now()
    for attempt in active:
        if attempt.deadline is not None and as_utc(attempt.deadline) <= current:
            await submit_due(app, attempt.id or 0)
        else:
            schedule_submit(app.job_queue, attempt.id or 0, attempt.deadline)
    logger.info("exams: %d active sittings resumed", len(active))


def practice_summary(
    context: Context, attempt: Attempt
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The end of a practice round: score, what to review, and what to do next."""
    with session_scope(context.bot_data.engine) as session:
        result = result_of(session, attempt, bank(context))
        left = len(exams.open_mistakes(session, attempt.user_id, bank(context)))
    rows = []
    if attempt.mode == "practice":
        again = f"exq:r:{attempt.sector}:{attempt.role}"
        rows.append([button(label("quiz_again"), again)])
    if left:
        rows.append([button(label("mistakes_start", count=left), "exq:m")])
    return render("exam_practice_done", r=result, left=left), keyboard(rows)
