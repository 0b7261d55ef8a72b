"""政策问答: questions, answers, 查看原文, left questions and their replies."""

from __future__ import annotations

from bot.kit import Registration
from handlers.guidance import questions
from scheduler.pending import setup_pending_digest

__all__ = ["REGISTRATION"]

REGISTRATION = Registration(
    name="guidance",
    section="guidance",
    handlers=tuple(questions.HANDLERS),
    menu_actions=questions.MENU_ACTIONS,
    text_handlers=tuple(questions.TEXT_HANDLERS),
    startup=(setup_pending_digest,),
)
