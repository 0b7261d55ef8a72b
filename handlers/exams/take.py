"""Taking an exam or a practice round: the deep link, identity, answers, navigation, 交卷."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import ForceReply, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.exams import services as exams
from bot.exams import steps as exam_steps
from bot.exams.paper import Paper
from bot.exams.services import Gate, Reason, Step
from bot.exams.views import QuestionView, question_view, result_of
from bot.kit import Context, edit_pressed, refusal_text, refuse
from bot.models import Attempt, Exam
from bot.render import label, render
from handlers.common import answer_query, args_text, button, keyboard, reply, user_id
from handlers.exams.support import (
    bank,
    practice_summary,
    question_markup,
    question_text,
    sheet_markup,
)
from knowledge.quiz import ROLES, SECTORS
from scheduler.exams import deliver_result, review_parts, schedule_submit, submit_due

__all__ = ["HANDLERS", "code_text", "name_text", "open_link"]


Acted = tuple[Step, QuestionView | None]


def _ints(update: Update) -> list[int]:
    assert update.callback_query is not None and update.callback_query.data
    return [int(p) for p in update.callback_query.data.split(":")[2:]]


# --- opening the link ---------------------------------------------------------------------------


def _exam_context(exam: Exam) -> dict[str, Any]:
    return {"exam": exam, "sector": SECTORS[exam.sector], "role": ROLES[exam.role]}


async def _ask_name(update: Update, exam: Exam) -> None:
    chat = update.effective_chat
    if chat is not None:
        text = render(
            "exam_prompt",
            mark=label("exam_prompt_mark"),
            kind="name",
            code=exam.code,
            optional=False,
        )
        markup = ForceReply(input_field_placeholder=label("exam_name_placeholder"))
        await chat.send_message(text, reply_markup=markup)


async def _confirm(update: Update, exam: Exam) -> None:
    markup = keyboard(
        [
            [button(label("exam_start"), f"exs:go:{exam.id}")],
            [button(label("exam_rename"), f"exs:nm:{exam.id}")],
        ]
    )
    paper = Paper.from_json(exam.paper)
    await reply(update, render("exam_confirm", paper=paper, **_exam_context(exam)), markup)


async def _show_question(update: Update, context: Context, attempt: Attempt) -> None:
    """Send the sitting's current question as a new message and make it the live one."""
    view = await context.db(question_view, attempt, bank(context), context.now())
    if view.remaining == 0:  # the deadline job has not run yet: submit now
        await submit_due(context.application, attempt.id or 0)
        return
    sent = await reply(update, question_text(view), question_markup(view))
    if sent is not None and attempt.mode == "exam":
        await context.db(exams.set_message, attempt_id=attempt.id or 0, message_id=sent.message_id)


async def _show_done(update: Update, context: Context, attempt: Attempt) -> None:
    result = await context.db(result_of, attempt, bank(context))
    await reply(update, render("exam_done", r=result))


async def _issuer(update: Update, exam: Exam, attempt: Attempt | None) -> None:
    await reply(update, render("exam_issuer_view", attempt=attempt, **_exam_context(exam)))


async def open_link(update: Update, context: Context, argument: str) -> None:
    """/start exam_<code>: the candidate opens the exam (the issuer sees its state)."""
    gate, exam, attempt = await context.db(
        exams.open_exam, code=argument, user_id=user_id(update), now=context.now()
    )
    if gate is Gate.RESUME and attempt is not None:
        await _show_question(update, context, attempt)
    elif gate is Gate.DONE and attempt is not None:
        await _show_done(update, context, attempt)
    elif gate is Gate.ISSUER and exam is not None:
        await _issuer(update, exam, attempt)
    elif gate is Gate.NEED_NAME and exam is not None:
        await _ask_name(update, exam)
    elif gate is Gate.CONFIRM and exam is not None:
        await _confirm(update, exam)
    else:
        await reply(update, render("exam_gate", gate=gate.value))


async def code_text(update: Update, context: Context) -> bool:
    """Text input: a typed exam code opens the exam as the link does."""
    text = update.message.text if update.message else None
    code = exams.typed_code(text) if text else None
    if code is None or text is None:
        return False
    known = await context.db(exams.find_exam, code) is not None
    if not known and text.strip() != code:  # an unknown lower-case word is not a code
        return False
    await open_link(update, context, code)
    return True


async def exam_command(update: Update, context: Context) -> None:
    """/exam CODE — the typed code, for those who cannot open the link."""
    code = exams.typed_code(args_text(context))
    if code is None:
        await reply(update, render("exam_code_usage"))
        return
    await open_link(update, context, code)


async def name_text(update: Update, context: Context) -> bool:
    """Text interceptor: the holder of a code without a name is typing it."""
    uid = user_id(update)
    message = update.message
    exam = await context.db(exams.awaiting_name, uid, context.now())
    if exam is None or message is None or not message.text:
        return False
    named = await context.db(
        exams.set_candidate_name,
        exam_id=exam.id or 0,
        user_id=uid,
        name=message.text,
        now=context.now(),
    )
    if named is None:
        await reply(update, render("exam_bad_name"))
    else:
        await _confirm(update, named)
    return True


async def rename(update: Update, context: Context) -> None:
    """exs:nm:<exam> — the candidate corrects their name before starting."""
    (exam_id,) = _ints(update)
    exam = await context.db(
        exams.set_candidate_name,
        exam_id=exam_id,
        user_id=user_id(update),
        name=None,
        now=context.now(),
    )
    if exam is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await _ask_name(update, exam)


async def start(update: Update, context: Context) -> None:
    """exs:go:<exam> — identity confirmed: draw the paper, start the clock, show question 1."""
    (exam_id,) = _ints(update)
    query = update.callback_query
    assert query is not None and query.message is not None
    gate, attempt, view = await context.db(
        exam_steps.start_and_show,
        exam_id=exam_id,
        user_id=user_id(update),
        bank=bank(context),
        rng=context.rng,
        now=context.now(),
        message_id=query.message.message_id,
    )
    if gate is not Gate.STARTED or attempt is None or view is None:
        await answer_query(update, render("exam_gate", gate=gate.value), alert=True)
        return
    schedule_submit(context.job_queue, attempt.id or 0, attempt.deadline)
    await answer_query(update)
    await edit_pressed(update, question_text(view), question_markup(view))


# --- answering ----------------------------------------------------------------------------------


async def _after(
    update: Update, context: Context, acted: Acted, *, practice_next: bool = False
) -> None:
    """Show what an action led to: the result, a refusal, or the question as it is now."""
    step, view = acted
    attempt = step.attempt
    if step.finished and attempt is not None:
        await answer_query(
            update,
            refusal_text(exams.refused(Reason.TIME_UP))
            if step.refusal is Reason.TIME_UP
            else None,
        )
        await _finished(update, context, attempt, auto=step.refusal is Reason.TIME_UP)
        return
    if step.refusal is not None or view is None:
        await refuse(update, exams.refused(step.refusal or Reason.STALE))
        return
    await answer_query(update)
    if practice_next:
        query = update.callback_query
        assert query is not None
        await query.edit_message_reply_markup(None)
        await reply(update, question_text(view), question_markup(view))
        return
    await edit_pressed(update, question_text(view), question_markup(view))


async def _finished(update: Update, context: Context, attempt: Attempt, *, auto: bool) -> None:
    if attempt.mode == "exam":
        await deliver_result(context.bot, context.bot_data, attempt.id or 0, auto=auto)
        return
    query = update.callback_query
    assert query is not None
    await query.edit_message_reply_markup(None)
    text, markup = await practice_summary(context, attempt)
    await reply(update, text, markup)


async def _act(
    update: Update,
    context: Context,
    action: Callable[..., Step],
    aid: int,
    pos: int | None,
    **args: int,
) -> Acted:
    """Run one action for the presser; the question as it is now, in the same session."""
    press = exams.Press(aid, user_id(update), pos, bank(context), context.now())
    return await context.db(exam_steps.act, action, press, **args)


async def choose(update: Update, context: Context) -> None:
    """ex:a:<attempt>:<position>:<option> — 单选/判断."""
    aid, pos, option = _ints(update)
    acted = await _act(update, context, exams.choose, aid, pos, option=option)
    await _after(update, context, acted)


async def toggle(update: Update, context: Context) -> None:
    """ex:t:<attempt>:<position>:<option>:<0|1> — 多选: set one option off or on."""
    aid, pos, option, on = _ints(update)
    acted = await _act(update, context, exams.toggle, aid, pos, option=option, on=on == 1)
    await _after(update, context, acted)


async def confirm(update: Update, context: Context) -> None:
    """ex:c:<attempt>:<position> — practice 多选 确认."""
    aid, pos = _ints(update)
    await _after(update, context, await _act(update, context, exams.confirm, aid, pos))


async def next_question(update: Update, context: Context) -> None:
    """ex:n:<attempt>:<position> — practice 下一题 (or the score after the last)."""
    aid, pos = _ints(update)
    acted = await _act(update, context, exams.next_question, aid, pos)
    await _after(update, context, acted, practice_next=True)


async def goto(update: Update, context: Context) -> None:
    """ex:g:<attempt>:<position>:<target> — 上一题/下一题/答题卡 jump."""
    aid, pos, target = _ints(update)
    acted = await _act(update, context, exams.goto, aid, pos, target=target)
    await _after(update, context, acted)


async def _checked_view(update: Update, context: Context) -> QuestionView | None:
    """The sitting's current view if the press is valid; otherwise the refusal is shown."""
    aid, pos = _ints(update)
    step, view = await _act(update, context, exams.check, aid, pos)
    if view is not None and view.mode != "exam":
        step, view = Step(step.attempt, Reason.STALE), None
    if view is None:
        await _after(update, context, (step, None))
    return view


async def sheet(update: Update, context: Context) -> None:
    """ex:k:<attempt>:<position> — the 答题卡."""
    view = await _checked_view(update, context)
    if view is None:
        return
    await answer_query(update)
    await edit_pressed(update, render("exam_sheet", v=view), sheet_markup(view))


async def ask_submit(update: Update, context: Context) -> None:
    """ex:q:<attempt>:<position> — 交卷? (says how many are unanswered)."""
    view = await _checked_view(update, context)
    if view is None:
        return
    markup = keyboard(
        [
            [
                button(label("exam_submit_yes"), f"ex:y:{view.attempt_id}"),
                button(
                    label("exam_submit_no"),
                    f"ex:g:{view.attempt_id}:{view.position}:{view.position}",
                ),
            ]
        ]
    )
    await answer_query(update)
    await edit_pressed(update, render("exam_submit_confirm", v=view), markup)


async def submit(update: Update, context: Context) -> None:
    """ex:y:<attempt> — 确认交卷."""
    (aid,) = _ints(update)
    await _after(update, context, await _act(update, context, exams.submit, aid, None))


async def review(update: Update, context: Context) -> None:
    """ex:r:<attempt> — the whole paper reviewed, split only between questions."""
    (aid,) = _ints(update)
    result = await context.db(exam_steps.review_of, aid, user_id(update), bank(context))
    if not result:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    for part in review_parts(result, full=True):
        await reply(update, part)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("exam", exam_command),
    CallbackQueryHandler(start, pattern=r"^exs:go:\d{1,12}$"),
    CallbackQueryHandler(rename, pattern=r"^exs:nm:\d{1,12}$"),
    CallbackQueryHandler(choose, pattern=r"^ex:a:\d{1,12}:\d{1,3}:\d$"),
    CallbackQueryHandler(toggle, pattern=r"^ex:t:\d{1,12}:\d{1,3}:\d:[01]$"),
    CallbackQueryHandler(confirm, pattern=r"^ex:c:\d{1,12}:\d{1,3}$"),
    CallbackQueryHandler(next_question, pattern=r"^ex:n:\d{1,12}:\d{1,3}$"),
    CallbackQueryHandler(goto, pattern=r"^ex:g:\d{1,12}:\d{1,3}:\d{1,3}$"),
    CallbackQueryHandler(sheet, pattern=r"^ex:k:\d{1,12}:\d{1,3}$"),
    CallbackQueryHandler(ask_submit, pattern=r"^ex:q:\d{1,12}:\d{1,3}$"),
    CallbackQueryHandler(submit, pattern=r"^ex:y:\d{1,12}$"),
    CallbackQueryHandler(review, pattern=r"^ex:r:\d{1,12}$"),
]
