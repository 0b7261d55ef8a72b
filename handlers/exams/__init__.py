"""监督抽考: practice, supervised exams and records (the feature's registration).

Text the feature waits for (a draft's enterprise name, a candidate's name) reaches it through
its text input before 政策问答 sees it; whether anything is awaited is read from the
database (a fresh ExamDraft at a typed step, an unnamed exam the user holds).
"""

from __future__ import annotations

from telegram import Update

from bot.exams import inputs as exam_inputs
from bot.kit import Context, Registration
from handlers.exams import paper, practice, staff, take
from scheduler.exams import resume_exams

__all__ = ["REGISTRATION"]


async def exam_text(update: Update, context: Context) -> bool:
    """Text input: a draft step, a paper field, a typed exam code, else a candidate's name."""
    return (
        await staff.draft_text(update, context)
        or await paper.paper_text(update, context)
        or await take.code_text(update, context)
        or await take.name_text(update, context)
    )


REGISTRATION = Registration(
    name="exams",
    section="exams",
    handlers=(*practice.HANDLERS, *take.HANDLERS, *staff.HANDLERS, *paper.HANDLERS),
    deep_links={"exam": take.open_link},
    menu_actions={"menu_quiz": practice.quiz, "menu_mistakes": practice.mistakes},
    startup=(resume_exams,),
    text_probe=exam_inputs.owes_text,
    text_inputs=(exam_text,),
)
