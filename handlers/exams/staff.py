"""Staff side of 抽考: /exam_new (a draft row), /exam_results, /exam_export, /exam_paper.
Every action is written to the audit log."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.exams import issue as exam_issue
from bot.exams import steps as exam_steps
from bot.exams.issue import OPTIONAL, TEXT_STEPS, Draft
from bot.exams.paper import PaperError
from bot.exams.stats import open_exams, parse_filter
from bot.kit import Context
from bot.render import label, render
from handlers.common import (
    answer_query,
    args_text,
    button,
    keyboard,
    parse_int,
    reply,
    require_inspector,
    user_id,
)
from handlers.exams.support import bank
from knowledge.quiz import ROLES, SECTORS

if TYPE_CHECKING:
    from bot.exams.exports import Report

__all__ = ["HANDLERS", "draft_text"]

logger = logging.getLogger(__name__)


# --- /exam_new: the draft -----------------------------------------------------------------------


async def _ask_text(update: Update, context: Context, draft: Draft) -> None:
    """A typed step: the inspector just sends the text; optional steps have 跳过."""
    rows = []
    if draft.step == "township":
        towns = await context.db(exam_issue.recent_townships, user_id(update))
        rows = [[button(t, f"exn:town:{i}")] for i, t in enumerate(towns)]
    if draft.step in OPTIONAL:
        rows.append([button(label("exam_skip"), f"exn:skip:{draft.step}")])
    text = render(
        "exam_prompt",
        mark=label("exam_prompt_mark"),
        kind=draft.step,
        optional=draft.step in OPTIONAL,
        code="",
        towns=len(rows) > 1,
    )
    await reply(update, text, keyboard(rows))


async def _ask_step(update: Update, context: Context, draft: Draft) -> None:
    """Ask for the draft's current step: a reply prompt, choice buttons, or the summary."""
    if draft.step in TEXT_STEPS:
        await _ask_text(update, context, draft)
        return
    if draft.step in ("sector", "role"):
        names = SECTORS if draft.step == "sector" else ROLES
        tag = "sec" if draft.step == "sector" else "role"
        items = [button(name, f"exn:{tag}:{key}") for key, name in names.items()]
        rows = [items[i : i + 2] for i in range(0, len(items), 2)]
        await reply(update, render("exam_draft_step", step=draft.step), keyboard(rows))
        return
    rows = [
        [button(label("exam_issue"), "exn:ok")],
        [button(label("exam_redo"), "exn:redo"), button(label("cancel"), "exn:cancel")],
    ]
    await reply(
        update,
        render("exam_draft_summary", d=draft.data, sectors=SECTORS, roles=ROLES),
        keyboard(rows),
    )


@require_inspector
async def exam_new(update: Update, context: Context) -> None:
    """/exam_new [企业 信用代码 行业 岗位 镇街 姓名] — start a draft; missing parts are asked."""
    prefill = exam_issue.parse_line(args_text(context))
    draft = await context.db(
        exam_issue.start_draft, inspector_id=user_id(update), prefill=prefill, now=context.now()
    )
    await reply(update, render("exam_draft_intro", prefilled=bool(prefill)))
    await _ask_step(update, context, draft)


async def _set(update: Update, context: Context, step: str, value: str | None) -> None:
    """A button answered a step: confirm it in place and ask the next one."""
    query = update.callback_query
    assert query is not None
    draft, ok = await context.db(
        exam_issue.set_step,
        inspector_id=user_id(update),
        step=step,
        value=value,
        now=context.now(),
    )
    if draft is None or not ok:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    shown = {"sector": SECTORS, "role": ROLES}.get(step, {}).get(value or "", value)
    await query.edit_message_text(
        render("exam_draft_done", step=step, value=shown), reply_markup=None
    )
    await _ask_step(update, context, draft)


def _button_value(update: Update) -> list[str]:
    assert update.callback_query is not None and update.callback_query.data
    return update.callback_query.data.split(":")[1:]


@require_inspector
async def draft_button(update: Update, context: Context) -> None:
    """exn:sec:<key> | exn:role:<key> | exn:town:<i> | exn:skip:<step>."""
    kind, value = _button_value(update)
    if kind == "town":
        towns = await context.db(exam_issue.recent_townships, user_id(update))
        index = parse_int(value)
        town = towns[index] if index is not None and index < len(towns) else None
        await _set(update, context, "township", town) if town else await _set(
            update, context, "", None
        )
        return
    step = {"sec": "sector", "role": "role", "skip": value}[kind]
    await _set(update, context, step, None if kind == "skip" else value)


async def draft_text(update: Update, context: Context) -> bool:
    """Text interceptor: an inspector whose fresh draft waits for a typed step."""
    message = update.message
    uid = user_id(update)
    draft = await context.db(exam_issue.typing_draft, uid, context.now())
    if draft is None or message is None or not await context.is_inspector(uid):
        return False
    text = (message.text or "").strip()
    value = None if text in exam_issue.SKIP_WORDS and draft.step in OPTIONAL else text
    updated, ok = await context.db(
        exam_issue.set_step, inspector_id=uid, step=draft.step, value=value, now=context.now()
    )
    if not ok or updated is None:
        await reply(update, render("exam_draft_invalid", step=draft.step))
        return True
    await _ask_step(update, context, updated)
    return True


@require_inspector
async def draft_issue(update: Update, context: Context) -> None:
    """exn:ok — issue the exam: a single-use code and the deep link."""
    settings = context.bot_data.settings
    try:
        paper, exam = await context.db(
            exam_steps.issue_default,
            settings=settings,
            inspector_id=user_id(update),
            bank=bank(context),
            rng=context.rng,
            now=context.now(),
        )
    except LookupError:
        await answer_query(update, render("stale_button"), alert=True)
        return
    except PaperError as exc:
        await answer_query(update)
        await reply(update, render("exam_paper_short", problems=exc.problems))
        return
    await answer_query(update)
    assert update.callback_query is not None
    await update.callback_query.edit_message_reply_markup(None)
    link = f"https://t.me/{context.bot.username}?start=exam_{exam.code}"
    await reply(
        update,
        render(
            "exam_issued",
            exam=exam,
            link=link,
            paper=paper,
            sector=SECTORS[exam.sector],
            role=ROLES[exam.role],
        ),
    )


@require_inspector
async def draft_redo(update: Update, context: Context) -> None:
    """exn:redo — start the draft again from the enterprise name."""
    draft = await context.db(
        exam_issue.restart_draft, inspector_id=user_id(update), now=context.now()
    )
    if draft is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await _ask_step(update, context, draft)


@require_inspector
async def draft_cancel(update: Update, context: Context) -> None:
    """exn:cancel — drop the draft."""
    dropped = await context.db(exam_issue.cancel_draft, inspector_id=user_id(update))
    await answer_query(update, None if dropped else render("stale_button"), alert=not dropped)
    if dropped and update.callback_query is not None:
        await update.callback_query.edit_message_text(render("exam_draft_cancelled"))


# --- records, export, paper ---------------------------------------------------------------------


def _month(context: Context) -> str:
    """This month in local time, for the examples a filter prompt shows (never a past year)."""
    return f"{context.now().astimezone(context.bot_data.settings.tz):%Y-%m}"


async def _report(update: Update, context: Context, action: str) -> Report | str:
    """Records and statistics for the command's filters (inspectors: their own exams), logged;
    or the usage text when a filter word is not understood."""
    flt, unknown = parse_filter(args_text(context))
    if unknown:
        return render(
            "exam_filter_usage", unknown=unknown, command=f"exam_{action}", month=_month(context)
        )
    uid = user_id(update)
    if not context.bot_data.roles.is_admin(uid):
        flt = dataclasses.replace(flt, inspector_id=uid)
    return await context.db(
        exam_steps.report_audited,
        flt,
        bank(context),
        context.bot_data.settings.tz,
        by=uid,
        action=f"exam:{action}",
        detail=args_text(context),
    )


@require_inspector
async def exam_results(update: Update, context: Context) -> None:
    """/exam_results [日期 行业 镇街 合格/不合格] — statistics, records, open codes, chart."""
    report = await _report(update, context, "results")
    if isinstance(report, str):
        await reply(update, report)
        return
    pending = await context.db(open_exams, report.filter.inspector_id, context.now())
    text = render(
        "exam_results",
        report=report,
        pending=pending,
        sector_names=SECTORS,
        month=_month(context),
    )
    await reply(update, text)
    from bot.exams.exports import pass_rate_chart

    png = pass_rate_chart(report)
    if png is not None and update.effective_chat is not None:
        await update.effective_chat.send_photo(png, caption=render("exam_chart_caption"))


@require_inspector
async def exam_export(update: Update, context: Context) -> None:
    """/exam_export [筛选] — the records and statistics as an Excel file."""
    report = await _report(update, context, "export")
    if isinstance(report, str):
        await reply(update, report)
        return
    tz = context.bot_data.settings.tz
    name = f"抽考记录_{context.now().astimezone(tz):%Y%m%d_%H%M}.xlsx"
    caption = render("exam_export_caption", report=report, sector_names=SECTORS)
    if update.effective_chat is not None:
        from bot.exams.exports import workbook_bytes

        data = workbook_bytes(report, tz)
        await update.effective_chat.send_document(data, filename=name, caption=caption)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("exam_new", exam_new),
    CommandHandler("exam_results", exam_results),
    CommandHandler("exam_export", exam_export),
    CallbackQueryHandler(draft_button, pattern=r"^exn:(sec|role|town|skip):[a-z0-9_]{1,20}$"),
    CallbackQueryHandler(draft_issue, pattern=r"^exn:ok$"),
    CallbackQueryHandler(draft_redo, pattern=r"^exn:redo$"),
    CallbackQueryHandler(draft_cancel, pattern=r"^exn:cancel$"),
]
