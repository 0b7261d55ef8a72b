"""/exam_paper: the admin's step-by-step paper editor (one field at a time) and its JSON export."""

from __future__ import annotations

import json
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.exams import issue as exam_issue
from bot.exams import paper_settings as editor
from bot.exams import steps as exam_steps
from bot.exams.paper import Paper, PaperError, smallest_pools
from bot.kit import Context
from bot.render import label, render
from handlers.common import (
    answer_query,
    args_text,
    button,
    keyboard,
    reply,
    require_admin,
    user_id,
)
from handlers.exams.support import bank
from knowledge.quiz import TYPES

__all__ = ["HANDLERS", "paper_text"]


def _type_button(paper: Paper, kind: str) -> InlineKeyboardButton:
    found = [s for s in paper.sections if s.type == kind]
    text = (
        label("paper_type", name=TYPES[kind], count=found[0].count, points=f"{found[0].points:g}")
        if found
        else label("paper_type_off", name=TYPES[kind])
    )
    return button(text, f"exp:f:{kind}")


def _markup(paper: Paper) -> InlineKeyboardMarkup | None:
    share = round(paper.sector_share * 100)
    return keyboard(
        [
            [_type_button(paper, kind) for kind in TYPES],
            [
                button(label("paper_pass_mark", mark=f"{paper.pass_mark:g}"), "exp:f:pass_mark"),
                button(label("paper_minutes", minutes=paper.minutes), "exp:f:minutes"),
                button(label("paper_share", share=share), "exp:f:sector_share"),
            ],
            [button(label("paper_export"), "exp:json"), button(label("paper_reset"), "exp:reset")],
        ]
    )


async def _show(update: Update, context: Context, *, changed: bool = False) -> None:
    paper = await context.db(exam_issue.get_default_paper, context.bot_data.settings)
    limits = smallest_pools(bank(context).questions)
    text = render("exam_paper", paper=paper, changed=changed, types=TYPES, limits=limits)
    await reply(update, text, _markup(paper))


@require_admin
async def exam_paper(update: Update, context: Context) -> None:
    """/exam_paper [JSON | default] — the editor; a JSON paper or the default sets it at once."""
    text, uid = args_text(context), user_id(update)
    try:
        await context.db(
            exam_steps.apply_paper_command, actor_id=uid, text=text, bank=bank(context)
        )
    except PaperError as exc:
        await reply(update, render("exam_paper_invalid", problems=exc.problems))
        return
    await _show(update, context, changed=bool(text))


def _data(update: Update) -> str:
    assert update.callback_query is not None and update.callback_query.data
    return update.callback_query.data


@require_admin
async def choose_field(update: Update, context: Context) -> None:
    """exp:f:<field> — the admin's next text is this field's value."""
    field = _data(update).split(":")[2]
    await context.db(
        editor.start_editing, actor_id=user_id(update), field=field, now=context.now()
    )
    await answer_query(update)
    markup = ForceReply(input_field_placeholder=label("paper_placeholder"))
    name = TYPES.get(field, "")
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            render("exam_paper_ask", field=field, name=name), reply_markup=markup
        )


async def paper_text(update: Update, context: Context) -> bool:
    """Text input: an admin editing a field of the paper types its value."""
    uid = user_id(update)
    field = await context.db(editor.editing, uid, context.now())
    text = update.message.text if update.message else None
    if field is None or not text or not context.bot_data.roles.is_admin(uid):
        return False
    try:
        await context.db(
            editor.edit_field,
            actor_id=uid,
            bank=bank(context),
            settings=context.bot_data.settings,
            field=field,
            text=text,
        )
    except PaperError as exc:
        await reply(update, render("exam_paper_invalid", problems=exc.problems, retry=True))
        return True
    await _show(update, context, changed=True)
    return True


@require_admin
async def export(update: Update, context: Context) -> None:
    """exp:json — the current paper as a JSON file (to keep, edit and send back)."""
    paper = await context.db(exam_issue.get_default_paper, context.bot_data.settings)
    pretty = json.dumps(json.loads(paper.to_json()), ensure_ascii=False, indent=1)
    await answer_query(update)
    if update.effective_chat is not None:
        await update.effective_chat.send_document(
            pretty.encode(), filename="exam_paper.json", caption=render("exam_paper_json")
        )


@require_admin
async def reset(update: Update, context: Context) -> None:
    """exp:reset — back to the built-in paper."""
    await context.db(exam_steps.reset_paper, user_id(update))
    await answer_query(update)
    await _show(update, context, changed=True)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("exam_paper", exam_paper),
    CallbackQueryHandler(choose_field, pattern=rf"^exp:f:({'|'.join(editor.FIELDS)})$"),
    CallbackQueryHandler(export, pattern=r"^exp:json$"),
    CallbackQueryHandler(reset, pattern=r"^exp:reset$"),
]
