"""日管控 in chat: /today, the zero-risk tap, marking problems, /problems and their fixes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.kit import Context
from bot.records import daily as svc
from bot.records import steps
from bot.records.checklist import items_of
from bot.records.models import Enterprise
from bot.render import label, render
from handlers.common import answer_query, button, keyboard, reply, user_id
from handlers.records.common import current_enterprise, now, today

__all__ = ["HANDLERS", "awaiting_text", "text_error"]

_TEXT_ERRORS = {"empty": "rec_text_empty"}
T = TypeVar("T")


def _day_arg(raw: str) -> date | None:
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def _today_markup(enterprise_id: int, day: date) -> InlineKeyboardMarkup | None:
    tag = f"{enterprise_id}:{day:%Y%m%d}"
    return keyboard(
        [
            [button(label("rec_zero"), f"rec:zero:{tag}")],
            [button(label("rec_mark"), f"rec:mark:{tag}")],
        ]
    )


def _mark_markup(draft: svc.Draft) -> InlineKeyboardMarkup | None:
    rows = [
        [
            button(
                label(
                    "rec_item_on" if i in draft.marked else "rec_item_off",
                    n=i + 1,
                    text=item.text[:24],
                ),
                f"rec:tog:{draft.row.id}:{i}",
            )
        ]
        for i, item in enumerate(draft.items)
    ]
    return keyboard([*rows, [button(label("rec_next"), f"rec:next:{draft.row.id}")]])


async def _prompt(update: Update, draft: svc.Draft) -> None:
    """Ask for what the draft needs next: a description, a measure, a severity, a confirmation."""
    did = draft.row.id
    if draft.stage == "describe" and draft.current is not None:
        item = draft.items[draft.current]
        await reply(
            update, render("rec_describe", n=draft.current + 1, item=item, limit=svc.MAX_TEXT)
        )
    elif draft.stage == "measure":
        await reply(update, render("rec_measure", limit=svc.MAX_TEXT))
    elif draft.stage == "severity":
        choices = [
            button(label("rec_minor"), f"rec:sev:{did}:0"),
            button(label("rec_serious"), f"rec:sev:{did}:1"),
        ]
        await reply(update, render("rec_severity"), keyboard([choices]))
    elif draft.stage == "confirm":
        findings = [{"item": draft.items[i].text, **draft.finding(i)} for i in draft.marked]
        markup = keyboard([[button(label("rec_file"), f"rec:file:{did}")]])
        await reply(update, render("rec_confirm", findings=findings), markup)


async def today_command(update: Update, context: Context) -> None:
    """/today — the day's checklist with the zero-risk tap and the way to mark problems."""
    day = today(context)
    e = await current_enterprise(update, context)
    if e is None or e.id is None:
        return
    state = await context.db(steps.today_of, e, day)
    version = state.version
    assert version is not None
    if state.record is not None:
        await reply(update, render("rec_today_filed", e=e, day=day, r=state.record))
    elif state.reason is not None:
        await reply(update, render("rec_today_off", e=e, day=day, reason=state.reason))
    else:
        text = render("rec_today", e=e, day=day, v=version, items=items_of(version))
        await reply(update, text, _today_markup(e.id, day))


async def _filer_enterprise(update: Update, context: Context) -> tuple[Enterprise, date] | None:
    """The enterprise and day a checklist button names, if the presser may file it today."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, raw_id, raw_day = query.data.split(":")
    day = _day_arg(raw_day)
    e = await context.db(steps.filer_of, int(raw_id), user_id(update))
    if e is None:
        await answer_query(
            update,
            render("rec_not_allowed", roles="食品安全员、食品安全总监", action="提交日管控记录"),
            alert=True,
        )
        return None
    if day is None or day != today(context):
        text = render("rec_old_button", day=day) if day else render("stale_button")
        await answer_query(update, text, alert=True)
        return None
    return e, day


async def zero(update: Update, context: Context) -> None:
    """rec:zero:<id>:<day> — 零风险报告, filed once however often it is pressed."""
    found = await _filer_enterprise(update, context)
    if found is None:
        return
    e, day = found
    filed, version = await context.db(
        steps.zero_day, e, day, user_id(update), now=now(), tz=context.bot_data.settings.tz
    )
    assert filed is not None
    await answer_query(update)
    if not filed.created:
        await reply(update, render("rec_already_filed", r=filed.record))
        return
    await reply(update, render("rec_zero_filed", day=day, r=filed.record, v=version))


async def mark(update: Update, context: Context) -> None:
    """rec:mark:<id>:<day> — the items as toggles; the draft is a row."""
    found = await _filer_enterprise(update, context)
    if found is None:
        return
    e, day = found
    draft, record = await context.db(steps.mark_day, e, day, user_id(update))
    await answer_query(update)
    if draft is None:
        assert record is not None
        await reply(update, render("rec_already_filed", r=record))
        return
    await reply(update, render("rec_mark", items=draft.items), _mark_markup(draft))


async def _on_draft(
    update: Update, context: Context, step: Callable[[Session, svc.Draft], T]
) -> tuple[svc.Draft, T] | None:
    """One step on the draft a button names; a stale press is told so."""
    query = update.callback_query
    assert query is not None and query.data
    draft_id = int(query.data.split(":")[2])
    done = await context.db(steps.on_draft, draft_id, user_id(update), step)
    if done is None:
        await answer_query(update, render("stale_button"), alert=True)
    return done


async def toggle(update: Update, context: Context) -> None:
    """rec:tog:<draft>:<index> — mark or unmark one item; redraw the toggles in place."""
    query = update.callback_query
    assert query is not None and query.data
    index = int(query.data.split(":")[3])
    done = await _on_draft(update, context, lambda s, d: svc.toggle_item(s, d, index))
    if done is None:
        return
    draft, changed = done
    if not changed:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_reply_markup(_mark_markup(draft))


async def next_step(update: Update, context: Context) -> None:
    """rec:next:<draft> — from marking to describing the first marked item."""
    done = await _on_draft(update, context, svc.begin_findings)
    if done is None:
        return
    draft, started = done
    if not started:
        await answer_query(update, render("rec_nothing_marked"), alert=True)
        return
    await answer_query(update)
    await _prompt(update, draft)


async def severity(update: Update, context: Context) -> None:
    """rec:sev:<draft>:<0|1> — 一般 or 严重; then the next item or the summary."""
    query = update.callback_query
    assert query is not None and query.data
    serious = query.data.endswith(":1")
    found = await _on_draft(update, context, lambda s, d: svc.set_severity(s, d, serious))
    if found is None:
        return
    draft, done = found
    if not done:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    await _prompt(update, draft)


async def file_day(update: Update, context: Context) -> None:
    """rec:file:<draft> — file the record with its problems and tell the 总监 at once."""
    tz = context.bot_data.settings.tz
    at = now()
    done = await _on_draft(
        update, context, lambda s, d: steps.file_with_alerts(s, d, now=at, tz=tz)
    )
    if done is None:
        return
    draft, filing = done
    filed, e, alerts = filing.filed, filing.enterprise, filing.alerts
    if filed is None or e is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    if not filed.created:
        await reply(update, render("rec_already_filed", r=filed.record))
        return
    told = "食品安全总监和主要负责人" if any(p.serious for p in filed.problems) else "食品安全总监"
    await reply(
        update,
        render("rec_findings_filed", day=draft.row.day, count=len(filed.problems), told=told),
    )
    for problem, chats in alerts:
        markup = keyboard([[button(label("rec_fix"), f"rec:fix:{problem.id}")]])
        for chat in chats:
            await context.bot.send_message(
                chat, render("rec_problem_alert", e=e, p=problem), reply_markup=markup
            )
            if problem.photo_file_id:
                await context.bot.send_photo(chat, problem.photo_file_id)


async def problems(update: Update, context: Context) -> None:
    """/problems — the enterprise's open problems, oldest first, with a fix button each."""
    e = await current_enterprise(update, context)
    if e is None or e.id is None:
        return
    open_ones = await context.db(svc.open_problems, e.id)
    listed = [(p, svc.problem_age(p, now()).days) for p in open_ones]
    rows = [[button(f"{label('rec_fix')} #{p.id}", f"rec:fix:{p.id}")] for p in open_ones[:20]]
    await reply(update, render("rec_problems", e=e, problems=listed), keyboard(rows))


async def fix(update: Update, context: Context) -> None:
    """rec:fix:<problem> — the next text is the fix note."""
    query = update.callback_query
    assert query is not None and query.data
    problem = await context.db(svc.start_fix, int(query.data.split(":")[2]), user_id(update))
    if problem is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await reply(update, render("rec_fix_prompt", p=problem, limit=svc.MAX_TEXT))


async def text_error(update: Update, error: str, typed: str, limit: int = svc.MAX_TEXT) -> None:
    """Say what is wrong with a typed answer (too long, empty, no longer awaited)."""
    if error == "too_long":
        await reply(
            update,
            render("rec_text_too_long", length=len(typed.strip()), limit=limit, typed=typed),
        )
    else:
        await reply(update, render(_TEXT_ERRORS.get(error, "stale_button")))


async def awaiting_text(update: Update, context: Context) -> bool:
    """Text interceptor: a finding's description or measure, or a problem's fix note."""
    if update.message is None or update.message.text is None:
        return False
    uid, text = user_id(update), update.message.text
    answered = await context.db(steps.answer_text, uid, text, now=now())
    if answered is None:
        return False
    error, draft, problem, e = (
        answered.error,
        answered.draft,
        answered.problem,
        answered.enterprise,
    )
    if error:
        await text_error(update, error, text)
        return True
    if draft is not None:
        await _prompt(update, draft)
        return True
    assert problem is not None and e is not None
    await reply(update, render("rec_fixed", p=problem))
    for chat in answered.others:
        await context.bot.send_message(chat, render("rec_fixed_notice", e=e, p=problem))
    return True


async def photo(update: Update, context: Context) -> None:
    """A photo while a finding is being written: kept with it unless it is too large."""
    message = update.message
    assert message is not None and message.photo
    biggest = message.photo[-1]
    uid = user_id(update)
    draft, error = await context.db(
        steps.attach_photo, uid, biggest.file_id, biggest.file_size, message.caption
    )
    if draft is None:
        await reply(update, render("non_text"))
        return
    if error == "too_large":
        size_mb = f"{(biggest.file_size or 0) / 1024 / 1024:.1f}"
        await reply(update, render("rec_photo_too_large", size_mb=size_mb))
        return
    if error:
        await text_error(update, error, message.caption or "")
        return
    await reply(update, render("rec_photo_saved"))
    await _prompt(update, draft)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("today", today_command),
    CommandHandler("problems", problems),
    MessageHandler(filters.PHOTO & filters.ChatType.PRIVATE, photo),
    CallbackQueryHandler(zero, pattern=r"^rec:zero:\d{1,9}:\d{8}$"),
    CallbackQueryHandler(mark, pattern=r"^rec:mark:\d{1,9}:\d{8}$"),
    CallbackQueryHandler(toggle, pattern=r"^rec:tog:\d{1,9}:\d{1,3}$"),
    CallbackQueryHandler(next_step, pattern=r"^rec:next:\d{1,9}$"),
    CallbackQueryHandler(severity, pattern=r"^rec:sev:\d{1,9}:[01]$"),
    CallbackQueryHandler(file_day, pattern=r"^rec:file:\d{1,9}$"),
    CallbackQueryHandler(fix, pattern=r"^rec:fix:\d{1,9}$"),
]
