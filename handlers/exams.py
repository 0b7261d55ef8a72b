"""监督抽考: practice, supervised exams, records and roles (the feature's registration).

Text the feature waits for (a draft's enterprise name, a candidate's name) reaches it through
TEXT_INTERCEPTORS before 政策问答 sees it; whether anything is awaited is read from the
database (a fresh ExamDraft at a typed step, an unnamed exam the user holds).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import Context
from handlers.exam_practice import HANDLERS as PRACTICE_HANDLERS
from handlers.exam_practice import mistakes, quiz
from handlers.exam_staff import HANDLERS as STAFF_HANDLERS
from handlers.exam_staff import draft_text
from handlers.exam_support import resume_exams
from handlers.exam_take import HANDLERS as TAKE_HANDLERS
from handlers.exam_take import name_text, open_link

__all__ = ["DEEP_LINKS", "FEATURE", "HANDLERS", "MENU_ACTIONS", "STARTUP", "TEXT_INTERCEPTORS"]

FEATURE = "exams"


async def exam_text(update: Update, context: Context) -> bool:
    """Text interceptor: an inspector's draft step, else a candidate's name."""
    return await draft_text(update, context) or await name_text(update, context)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    *PRACTICE_HANDLERS,
    *TAKE_HANDLERS,
    *STAFF_HANDLERS,
]

DEEP_LINKS = {"exam": open_link}
MENU_ACTIONS = {"menu_quiz": quiz, "menu_mistakes": mistakes}
STARTUP = [resume_exams]
TEXT_INTERCEPTORS = [exam_text]
