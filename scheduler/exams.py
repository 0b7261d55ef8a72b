"""The 抽考 deadline timer and result delivery (also used when a candidate submits).

Jobs read the time from the application's one clock (bot_data.clock). Jobs live in memory, so at
start resume_exams() submits the sittings whose time ran out while the bot was down and
re-arms the others from their rows.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden
from telegram.ext import Job, JobQueue

from bot.db import session_scope
from bot.exams import services as exams
from bot.exams.bank import Bank, load_exam_bank
from bot.exams.views import Result, result_of
from bot.kit import App, BotData, Context, send
from bot.models import Attempt, as_utc
from bot.render import label, pack_items, render
from bot.users import mark_blocked
from knowledge.quiz import ROLES, SECTORS
from scheduler.jobs import SWEEP, run_every

__all__ = [
    "bank_of",
    "deliver_result",
    "resume_exams",
    "review_parts",
    "schedule_submit",
    "submit_due",
    "sweep_exams",
]

logger = logging.getLogger(__name__)


def bank_of(data: BotData) -> Bank:
    """The question bank, loaded once (at start-up, or on first use)."""
    loaded = data.extras.get("exam_bank")
    if not isinstance(loaded, Bank):
        with session_scope(data.engine) as session:
            loaded = load_exam_bank(session)
        data.extras["exam_bank"] = loaded
    return loaded


def review_parts(result: Result, *, full: bool) -> list[str]:
    """The wrong (or all) questions with their explanations, split only between questions."""
    shown = result.review if full else result.wrong
    if not shown:
        return []
    head = render("exam_wrong", r=result, full=full)
    return pack_items([head, *(render("exam_review_item", w=w) for w in shown)])


def review_markup(attempt_id: int) -> InlineKeyboardMarkup:
    """The result's button to the whole paper's review."""
    data = f"ex:r:{attempt_id}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(label("exam_review"), callback_data=data)]])


def result_texts(result: Result, *, auto: bool) -> tuple[str, list[str], str]:
    """(the candidate's result, the wrong answers in parts, the inspector's notice)."""
    ctx = {
        "r": result,
        "a": result.attempt,
        "e": result.exam,
        "auto": auto,
        "sector": SECTORS.get(result.attempt.sector, ""),
        "role": ROLES.get(result.attempt.role, ""),
    }
    wrong = review_parts(result, full=False)
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
    await _safe_send(bot, data, attempt.user_id, mine, review_markup(attempt_id))
    for part in wrong:
        await _safe_send(bot, data, attempt.user_id, part)
    if result.exam is not None:
        await _safe_send(bot, data, result.exam.inspector_id, notice)


async def _safe_send(
    bot: Bot, data: BotData, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    try:
        await send(bot, chat_id, text, markup)
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


async def submit_due(app: App, attempt_id: int) -> bool:
    """Submit one sitting whose deadline passed and tell both sides; False if nothing to do."""
    data: BotData = app.bot_data
    with session_scope(data.engine) as session:
        done = exams.finish_due(
            session, attempt_id=attempt_id, bank=bank_of(data), now=data.clock()
        )
    if done is None:  # already submitted (by the candidate or another worker)
        return False
    await deliver_result(app.bot, data, attempt_id, auto=True)
    return True


async def sweep_exams(app: App) -> int:
    """Submit every sitting past its deadline, whoever set its timer; how many this worker did."""
    data: BotData = app.bot_data
    with session_scope(data.engine) as session:
        overdue = exams.overdue_attempts(session, data.clock())
    done = [attempt_id for attempt_id in overdue if await submit_due(app, attempt_id)]
    if done:
        logger.info("exams: %d sittings past their deadline submitted by the sweep", len(done))
    return len(done)


async def _sweep(context: Context) -> None:
    await sweep_exams(context.application)


async def resume_exams(app: App) -> None:
    """Start-up work: submit sittings whose time ran out while the bot was down; re-arm others."""
    data: BotData = app.bot_data
    bank_of(data)
    with session_scope(data.engine) as session:
        active = exams.due_attempts(session)
    current = data.clock()
    for attempt in active:
        if attempt.deadline is not None and as_utc(attempt.deadline) <= current:
            await submit_due(app, attempt.id or 0)
        else:
            schedule_submit(app.job_queue, attempt.id or 0, attempt.deadline)
    logger.info("exams: %d active sittings resumed", len(active))
    if app.job_queue is not None:
        run_every(app, _sweep, SWEEP, name="exams:sweep")
