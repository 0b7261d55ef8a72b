"""Practice: /quiz (sector, role, 10 questions judged at once) and /mistakes (错题本)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.exams import services as exams
from bot.exams.bank import Bank
from bot.exams.views import QuestionView, question_view
from bot.kit import Context, refuse
from bot.models import Attempt
from bot.render import label, render
from handlers.common import answer_query, button, keyboard, reply, user_id
from handlers.exams.support import bank, question_markup, question_text
from knowledge.quiz import ROLES, SECTORS

__all__ = ["HANDLERS", "mistakes", "quiz"]

MISTAKES_SHOWN = 10


def _sectors() -> tuple[str, InlineKeyboardMarkup | None]:
    items = [button(name, f"exq:s:{key}") for key, name in SECTORS.items()]
    rows = [items[i : i + 2] for i in range(0, len(items), 2)]
    return render("exam_quiz_sectors"), keyboard(rows)


async def quiz(update: Update, context: Context) -> None:
    """/quiz — offer to continue an unfinished round, else choose the sector first."""
    found = await context.db(_unfinished, user_id(update), bank(context), context.now())
    if found is None:
        await reply(update, *_sectors())
        return
    attempt, view = found
    resume = button(label("quiz_resume"), f"exq:c:{attempt.id}")
    markup = keyboard([[resume, button(label("quiz_restart"), "exq:x")]])
    await reply(update, render("exam_quiz_resume", v=view), markup)


def _unfinished(
    session: Session, user: int, questions: Bank, now: datetime
) -> tuple[Attempt, QuestionView] | None:
    """The user's unfinished round and its current question, if there is one."""
    attempt = exams.active_round(session, user)
    if attempt is None:
        return None
    return attempt, question_view(session, attempt, questions, now)


async def resume_round(update: Update, context: Context) -> None:
    """exq:c:<attempt> — show the unfinished round's current question again."""
    query = update.callback_query
    assert query is not None and query.data
    attempt = await context.db(exams.active_round, user_id(update))
    if attempt is None or str(attempt.id) != query.data.split(":")[2]:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    await _first_question(update, context, attempt)


async def restart_round(update: Update, context: Context) -> None:
    """exq:x — start over: choose the sector (the old round ends when the new one starts)."""
    query = update.callback_query
    assert query is not None
    await answer_query(update)
    text, markup = _sectors()
    await query.edit_message_text(text, reply_markup=markup)


async def choose_sector(update: Update, context: Context) -> None:
    """exq:s:<sector> — then the role."""
    query = update.callback_query
    assert query is not None and query.data
    sector = query.data.split(":")[2]
    if sector not in SECTORS:
        await answer_query(update, render("stale_button"), alert=True)
        return
    rows = [[button(name, f"exq:r:{sector}:{key}") for key, name in ROLES.items()]]
    await answer_query(update)
    await query.edit_message_text(
        render("exam_quiz_roles", sector=SECTORS[sector]), reply_markup=keyboard(rows)
    )


async def _first_question(update: Update, context: Context, attempt: Attempt) -> None:
    view = await context.db(question_view, attempt, bank(context), context.now())
    await reply(update, question_text(view), question_markup(view))


async def start_round(update: Update, context: Context) -> None:
    """exq:r:<sector>:<role> — a new 10-question round (the previous one's buttons go stale)."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, sector, role = query.data.split(":")
    if sector not in SECTORS or role not in ROLES:
        await answer_query(update, render("stale_button"), alert=True)
        return
    attempt = await context.db(
        exams.start_practice,
        user_id=user_id(update),
        sector=sector,
        role=role,
        bank=bank(context),
        rng=context.rng,
        now=context.now(),
    )
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    await _first_question(update, context, attempt)


async def mistakes(update: Update, context: Context) -> None:
    """/mistakes — the 错题本 and a button to practise it."""
    found = await context.db(exams.open_mistakes, user_id(update), bank(context))
    questions = [bank(context).by_id[m.question_id] for m in found[:MISTAKES_SHOWN]]
    markup = keyboard(
        [[button(label("mistakes_start", count=len(found)), "exq:m")]] if found else []
    )
    await reply(update, render("exam_mistakes", total=len(found), questions=questions), markup)


async def start_review(update: Update, context: Context) -> None:
    """exq:m — a round of up to 10 questions from the 错题本."""
    attempt = await context.db(
        exams.start_review,
        user_id=user_id(update),
        bank=bank(context),
        rng=context.rng,
        now=context.now(),
    )
    if attempt is None:
        await refuse(update, exams.refused("no_mistakes"))
        return
    await answer_query(update)
    await _first_question(update, context, attempt)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("quiz", quiz),
    CommandHandler("mistakes", mistakes),
    CallbackQueryHandler(choose_sector, pattern=r"^exq:s:[a-z]+$"),
    CallbackQueryHandler(start_round, pattern=r"^exq:r:[a-z]+:[a-z]+$"),
    CallbackQueryHandler(start_review, pattern=r"^exq:m$"),
    CallbackQueryHandler(resume_round, pattern=r"^exq:c:\d{1,12}$"),
    CallbackQueryHandler(restart_round, pattern=r"^exq:x$"),
]
