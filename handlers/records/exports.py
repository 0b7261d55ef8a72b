"""/records YYYY-MM: the month's three documents and the workbook; /correct; staff /coverage."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.kit import Context
from bot.records import steps
from bot.records.corrections import correct
from bot.records.coverage import coverage as coverage_of
from bot.records.enterprises import roles_in
from bot.records.reports import month_start, parse_month, week_start
from bot.render import render
from handlers.common import args_text, parse_int, reply, require_inspector, user_id
from handlers.records.common import current_enterprise, now, today
from handlers.records.daily import text_error
from knowledge.checklists import SECTORS

__all__ = ["HANDLERS"]

_CORRECT = re.compile(r"^(周|月)?\s*(\d{4}-\d{2}-\d{2}|\d{4}-\d{2})\s+(.+?)\s*[|｜]\s*(.+)$", re.S)


def _correct_usage(context: Context) -> str:
    """The /correct usage with examples from this week and month (never a past year)."""
    day = today(context)
    monday = day - timedelta(days=day.weekday())
    return (
        f"/correct {day.isoformat()} 原因｜更正内容"
        f"（周报告：/correct 周 {monday.isoformat()} …；月纪要：/correct 月 {day:%Y-%m} …）"
    )


async def records(update: Update, context: Context) -> None:
    """/records YYYY-MM [企业编号] — the month's records as Word and Excel files."""
    words = args_text(context).split()
    month = parse_month(words[0]) if words else None
    if month is None or len(words) > 2:
        await reply(
            update,
            render("bad_usage", usage=f"/records {today(context):%Y-%m} [企业编号]", hint=""),
        )
        return
    # python-docx and openpyxl load with the first export, not with every worker's start.
    from bot.records.exports import excel, load_month, word_documents

    uid = user_id(update)
    if len(words) == 2:
        wanted = parse_int(words[1])
        staff = await context.is_inspector(uid)
        e = (
            await context.db(steps.visible_enterprise, wanted, uid, staff=staff)
            if wanted
            else None
        )
        if e is None:
            await reply(update, render("rec_unknown_enterprise", id=words[1]))
            return
    else:
        e = await current_enterprise(update, context)
        if e is None:
            return
    data = await context.db(load_month, e, month)
    tz = context.bot_data.settings.tz
    files = [*word_documents(data, tz, exported=now()).items(), excel(data, tz)]
    text = render(
        "rec_export_sent",
        e=e,
        month=month,
        daily=len(data.daily),
        weekly=len(data.weekly),
        monthly=len(data.monthly),
    )
    await reply(update, text)
    if update.effective_chat is not None:
        for name, content in files:
            await update.effective_chat.send_document(content, filename=name)


async def correct_command(update: Update, context: Context) -> None:
    """/correct [周|月] 日期 原因｜更正内容 — append a correction; the original stays."""
    found = _CORRECT.match(args_text(context))
    if found is None:
        await reply(update, render("bad_usage", usage=_correct_usage(context), hint=""))
        return
    kind = {"周": "weekly", "月": "monthly"}.get(found.group(1) or "", "daily")
    raw = found.group(2) + ("-01" if len(found.group(2)) == 7 else "")
    try:
        when = date.fromisoformat(raw)
    except ValueError:
        await reply(update, render("bad_usage", usage=_correct_usage(context), hint=""))
        return
    when = (
        week_start(when) if kind == "weekly" else month_start(when) if kind == "monthly" else when
    )
    what = {
        "daily": f"{when}的日管控记录",
        "weekly": f"{when}这一周的周排查报告",
        "monthly": f"{when:%Y-%m}的调度会议纪要",
    }[kind]
    uid = user_id(update)
    e = await current_enterprise(update, context)
    if e is None or e.id is None:
        return
    if not await context.db(roles_in, uid, e.id):
        await reply(update, render("rec_unknown_enterprise", id=e.id))
        return
    row, error = await context.db(
        correct, kind, e.id, when, by=uid, reason=found.group(3), note=found.group(4), now=now()
    )
    if error == "missing":
        await reply(update, render("rec_correct_missing", what=what))
    elif error or row is None:
        await text_error(update, error, found.group(4))
    else:
        await reply(update, render("rec_corrected", what=what, r=row))


@require_inspector
async def coverage(update: Update, context: Context) -> None:
    """/coverage [YYYY-MM] — per township and sector: on time, open problems, reports done."""
    words = args_text(context)
    month = parse_month(words) if words else month_start(today(context))
    if month is None:
        await reply(
            update, render("bad_usage", usage=f"/coverage [{today(context):%Y-%m}]", hint="")
        )
        return
    groups, total = await context.db(
        coverage_of, month, now=now(), tz=context.bot_data.settings.tz
    )
    text = render(
        "rec_coverage", month=month, today=today(context), groups=[*groups, total], sectors=SECTORS
    )
    await reply(update, text)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("records", records),
    CommandHandler("correct", correct_command),
    CommandHandler("coverage", coverage),
]
