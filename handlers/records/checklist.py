"""/checklist and its changes: every change is a new version of the enterprise's list."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.kit import Context
from bot.records import checklist as svc
from bot.records import steps
from bot.records.enterprises import roles_in
from bot.render import chinese_number, render
from handlers.common import args_text, parse_int, reply, user_id
from handlers.records.common import current_enterprise, splits
from knowledge.vocab import sources

__all__ = ["HANDLERS"]

EDITORS = {"principal", "director"}


def _cites(cites: str) -> str:
    known = sources()
    parts = []
    for one in cites.split(","):
        key, _, article = one.partition(":")
        known_article = key in known and article.isdigit()
        parts.append(
            f"《{known[key].title}》第{chinese_number(int(article))}条" if known_article else one
        )
    return "；".join(parts)


async def checklist(update: Update, context: Context) -> None:
    """/checklist — the current version of the list, with the articles behind each item."""
    enterprise = await current_enterprise(update, context)
    if enterprise is None or enterprise.id is None:
        return
    version = await context.db(svc.current_version, enterprise.id)
    can_edit = bool(await context.db(roles_in, user_id(update), enterprise.id) & EDITORS)
    assert version is not None
    items = svc.items_of(version)
    cites = {i.key: _cites(i.cites) for i in items if i.cites}
    text = render(
        "rec_checklist", e=enterprise, v=version, items=items, cites=cites, can_edit=can_edit
    )
    await reply(update, text)


async def _change(update: Update, context: Context, action: str) -> None:
    """Parse `[序号] [内容]`, check the person may edit, make the new version, say so."""
    parts = splits(args_text(context), 1 if action == "retire" else 2)
    needs_index, needs_text = action in ("edit", "retire"), action in ("add", "edit")
    index = parse_int(parts[0]) if needs_index and parts else None
    text = " ".join(parts[1:] if needs_index else parts).strip()
    usage = {"add": "/checklist_add 内容", "edit": "/checklist_edit 序号 新内容"}
    if (needs_index and index is None) or (needs_text and not text):
        await reply(
            update, render("bad_usage", usage=usage.get(action, "/checklist_retire 序号"), hint="")
        )
        return
    if len(text) > svc.MAX_ITEM_TEXT:
        await reply(
            update,
            render("rec_text_too_long", length=len(text), limit=svc.MAX_ITEM_TEXT, typed=text),
        )
        return
    uid = user_id(update)
    enterprise = await current_enterprise(update, context)
    if enterprise is None or enterprise.id is None:
        return
    if not await context.db(roles_in, uid, enterprise.id) & EDITORS:
        await reply(
            update,
            render("rec_not_allowed", roles="主要负责人、食品安全总监", action="调整清单"),
        )
        return
    version, count = await context.db(
        steps.change_checklist, enterprise.id, action, index or 0, text, uid
    )
    if version is None:
        await reply(update, render("rec_checklist_bad_index", index=index, count=count))
        return
    await reply(update, render("rec_checklist_changed", v=version))


async def checklist_add(update: Update, context: Context) -> None:
    """/checklist_add 内容 — the enterprise's own item."""
    await _change(update, context, "add")


async def checklist_edit(update: Update, context: Context) -> None:
    """/checklist_edit 序号 新内容 — reword an item (it keeps its history)."""
    await _change(update, context, "edit")


async def checklist_retire(update: Update, context: Context) -> None:
    """/checklist_retire 序号 — stop checking an item."""
    await _change(update, context, "retire")


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("checklist", checklist),
    CommandHandler("checklist_add", checklist_add),
    CommandHandler("checklist_edit", checklist_edit),
    CommandHandler("checklist_retire", checklist_retire),
]
