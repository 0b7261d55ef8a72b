"""Registering an enterprise in chat, choosing one, inviting and joining by single-use links."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.kit import Context
from bot.records import enterprises as svc
from bot.records import steps
from bot.render import label, render
from handlers.common import (
    answer_query,
    button,
    is_private,
    keyboard,
    reply,
    require_inspector,
    user_id,
)
from handlers.records.common import role_names

__all__ = ["HANDLERS", "draft_text", "join"]

_PROMPTS = {"code": "rec_new_code", "township": "rec_new_township", "sector": "rec_new_sector"}


def _cancel_markup() -> Any:
    return keyboard([[button(label("rec_cancel"), "rec:cancel")]])


def _sector_markup() -> Any:
    rows = [[button(name, f"rec:sec:{key}")] for key, name in svc.SECTORS.items()]
    return keyboard([*rows, [button(label("rec_cancel"), "rec:cancel")]])


def _invite_markup(enterprise_id: int | None) -> Any:
    return keyboard(
        [
            [button(label("rec_invite_director"), f"rec:inv:{enterprise_id}:director")],
            [button(label("rec_invite_officer"), f"rec:inv:{enterprise_id}:officer")],
        ]
    )


async def enterprise_new(update: Update, context: Context) -> None:
    """/enterprise_new — register an enterprise step by step (the draft is a row)."""
    if not is_private(update):
        return
    await context.db(svc.start_draft, user_id(update))
    await reply(update, render("rec_new_name"), _cancel_markup())


async def draft_text(update: Update, context: Context) -> bool:
    """Text interceptor: the next answer of a registration in progress."""
    if update.message is None or update.message.text is None:
        return False
    taken = await context.db(steps.enterprise_answer, user_id(update), update.message.text)
    if taken is None:
        return False
    draft, result = taken
    if result.error:
        await reply(update, render("rec_input_error", error=result.error, typed=result.typed))
        return True
    markup = _sector_markup() if draft.step == "sector" else _cancel_markup()
    await reply(update, render(_PROMPTS[draft.step], draft=draft), markup)
    return True


async def choose_sector(update: Update, context: Context) -> None:
    """rec:sec:<sector> — the last step: the enterprise is registered."""
    query = update.callback_query
    assert query is not None and query.data
    sector = query.data.split(":")[2]
    result = await context.db(svc.finish_draft, user_id(update), sector)
    if result.enterprise is None:
        await answer_query(update, result.error or render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    e = result.enterprise
    text = render("rec_registered", e=e, sector=svc.SECTORS[e.sector])
    await reply(update, text, _invite_markup(e.id))


async def cancel(update: Update, context: Context) -> None:
    """rec:cancel — drop the registration in progress."""
    await context.db(svc.cancel_draft, user_id(update))
    await answer_query(update)
    if update.callback_query is not None:
        await update.callback_query.edit_message_reply_markup(None)
    await reply(update, render("rec_cancelled"))


async def enterprises(update: Update, context: Context) -> None:
    """/enterprises — the enterprises the person serves, with a button to switch."""
    current, mine = await context.db(svc.chosen_enterprise, user_id(update))
    if not mine:
        await reply(update, render("rec_none"))
        return
    rows = [[button(label("rec_use", name=e.name), f"rec:use:{e.id}")] for e, _ in mine]
    listed = [(e, role_names(roles)) for e, roles in mine]
    markup = keyboard(rows) if len(mine) > 1 else _invite_markup(mine[0][0].id)
    await reply(update, render("rec_enterprises", mine=listed, current=current), markup)


async def use(update: Update, context: Context) -> None:
    """rec:use:<id> — act on this enterprise from now on (only one the person serves)."""
    query = update.callback_query
    assert query is not None and query.data
    chosen = await context.db(svc.choose, user_id(update), int(query.data.split(":")[2]))
    if chosen is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await reply(update, render("rec_chosen", e=chosen), _invite_markup(chosen.id))


async def invite(update: Update, context: Context) -> None:
    """rec:inv:<id>:<role> — a single-use join link; the 主要负责人 (or 总监, for 安全员) only."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, raw_id, role = query.data.split(":")
    uid = user_id(update)
    allowed = {"director": {"principal"}, "officer": {"principal", "director"}}.get(role, set())
    invited = await context.db(steps.invite_as, int(raw_id), role, uid, allowed)
    if invited is None:
        names = role_names(allowed) or "主要负责人"
        action = "发邀请"
        await answer_query(
            update, render("rec_not_allowed", roles=names, action=action), alert=True
        )
        return
    enterprise, link = invited
    await answer_query(update)
    url = f"https://t.me/{context.bot.username}?start=join_{link.token}"
    text = render(
        "rec_invite_link", e=enterprise, role=svc.ROLES[role], link=url, expires_at=link.expires_at
    )
    await reply(update, text)


async def join(update: Update, context: Context, token: str) -> None:
    """start=join_<token> — spend a join link; a used or expired one is refused."""
    result = await context.db(svc.use_invite, token, user_id(update))
    invite = result.invite
    if result.status != "joined" or invite is None or result.enterprise is None:
        expires = invite.expires_at if invite else None
        await reply(update, render(f"rec_join_{result.status}", expires_at=expires))
        return
    role = svc.ROLES[invite.role]
    await reply(update, render("rec_join_ok", e=result.enterprise, role=role))
    if invite.created_by is not None and invite.created_by != user_id(update):
        who = update.effective_user.full_name if update.effective_user else ""
        notice = render("rec_join_notice", name=who, e=result.enterprise, role=role)
        await context.bot.send_message(invite.created_by, notice)


@require_inspector
async def import_help(update: Update, context: Context) -> None:
    """/enterprise_import without a file — how to fill the sheet, and an empty one."""
    # openpyxl loads with the first import, not with every worker's start.
    from bot.records.importer import COLUMNS, template

    await reply(update, render("rec_import_help", columns="、".join(COLUMNS)))
    if update.effective_chat is not None:
        await update.effective_chat.send_document(template(), filename="企业名单模板.xlsx")


@require_inspector
async def import_file(update: Update, context: Context) -> None:
    """An .xlsx captioned /enterprise_import — register every valid row, report every row."""
    message = update.effective_message
    assert message is not None and message.document is not None
    data = bytes(await (await message.document.get_file()).download_as_bytearray())
    from bot.records.importer import result_workbook

    uid = user_id(update)
    report = await context.db(steps.import_audited, data, by=uid)
    if report.error:
        await reply(update, render("rec_import_failed", error=report.error))
        return
    errors = [r for r in report.rows if not r.ok]
    await reply(
        update,
        render(
            "rec_import_done", report=report, errors=errors[:20], more=max(0, len(errors) - 20)
        ),
    )
    link = f"https://t.me/{context.bot.username}?start=join_{{}}"
    if update.effective_chat is not None:
        await update.effective_chat.send_document(
            result_workbook(report, link), filename="导入结果.xlsx"
        )


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("enterprise_new", enterprise_new),
    CommandHandler("enterprises", enterprises),
    MessageHandler(
        filters.Document.ALL & filters.CaptionRegex(r"^/enterprise_import\b"), import_file
    ),
    CommandHandler("enterprise_import", import_help),
    CallbackQueryHandler(choose_sector, pattern=r"^rec:sec:[a-z]+$"),
    CallbackQueryHandler(cancel, pattern=r"^rec:cancel$"),
    CallbackQueryHandler(use, pattern=r"^rec:use:\d{1,9}$"),
    CallbackQueryHandler(invite, pattern=r"^rec:inv:\d{1,9}:(director|officer)$"),
]
