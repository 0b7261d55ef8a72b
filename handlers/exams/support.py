"""What the 抽考 handlers share: the bank and question messages.

Result delivery and the deadline timer live in scheduler/exams.py.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.exams import steps as exam_steps
from bot.exams.bank import Bank
from bot.exams.views import QuestionView
from bot.kit import Context
from bot.models import Attempt
from bot.render import label, render
from handlers.common import button, keyboard
from scheduler.exams import bank_of

__all__ = [
    "bank",
    "practice_summary",
    "question_markup",
    "question_text",
    "sheet_markup",
]

SHEET_COLUMNS = 6


def bank(context: Context) -> Bank:
    """The question bank of this application."""
    return bank_of(context.bot_data)


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


async def practice_summary(
    context: Context, attempt: Attempt
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The end of a practice round: score, what to review, and what to do next."""
    result, left = await context.db(exam_steps.practice_result, attempt, bank(context))
    rows = []
    if attempt.mode == "practice":
        again = f"exq:r:{attempt.sector}:{attempt.role}"
        rows.append([button(label("quiz_again"), again)])
    if left:
        rows.append([button(label("mistakes_start", count=left), "exq:m")])
    return render("exam_practice_done", r=result, left=left), keyboard(rows)
