"""/start (with deep links), /help, /menu, /profile and the business-type buttons."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.kit import Context
from bot.render import label, render
from bot.users import business_type_of, set_business_type
from handlers.common import answer_query, button, keyboard, reply, user_id
from knowledge.vocab import business_types

__all__ = ["HANDLERS", "business_type_keyboard", "show_menu"]

CITIZEN = "consumer"  # not a business: shown as 身份, not 经营类型


def business_type_keyboard() -> list[list[InlineKeyboardButton]]:
    """Two business types per row."""
    items = [button(name, f"bt:set:{key}") for key, name in business_types().items()]
    return [items[i : i + 2] for i in range(0, len(items), 2)]


async def _stored_type(context: Context, uid: int) -> str | None:
    return await context.db(business_type_of, uid)


async def start(update: Update, context: Context) -> None:
    """Welcome, or route a deep link (vote_..., exam_...) to its feature."""
    payload = (context.args or [""])[0]
    prefix, _, argument = payload.partition("_")
    route = context.bot_data.deep_links.get(prefix)
    if route is not None and argument:
        await route(update, context, argument)
        return
    uid = user_id(update)
    stored = await _stored_type(context, uid)
    text = render(
        "welcome",
        name=update.effective_user.first_name if update.effective_user else "",
        returning=stored is not None,
        features=context.bot_data.features,
        ask_business_type=stored is None,
    )
    markup = keyboard(business_type_keyboard()) if stored is None else _menu_markup(context)
    await reply(update, text, markup)


async def help_command(update: Update, context: Context) -> None:
    """What each built feature does, with its commands; staff see theirs too."""
    uid = user_id(update)
    roles = {"user"}
    if await context.is_inspector(uid):
        roles.add("inspector")
    if context.bot_data.roles.is_admin(uid):
        roles.add("admin")
    staff = [
        (f.title, [c for c in f.commands if c.role in roles - {"user"}])
        for f in context.bot_data.features
    ]
    staff = [(title, commands) for title, commands in staff if commands]
    features = [
        {"title": f.title, "summary": f.summary, "commands": f.for_role("user")}
        for f in context.bot_data.features
    ]
    await reply(update, render("help", features=features, staff_sections=staff))


def _menu_markup(context: Context) -> InlineKeyboardMarkup | None:
    keys = [key for f in context.bot_data.features for key in f.menu]
    keys += ["menu_profile", "menu_help"]
    buttons = [button(label(k), f"menu:{k.removeprefix('menu_')}") for k in keys]
    return keyboard([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def show_menu(update: Update, context: Context) -> None:
    """The main menu as buttons."""
    stored = await _stored_type(context, user_id(update))
    name = business_types().get(stored or "")
    menu = render("menu", business_type=name, citizen=stored == CITIZEN)
    await reply(update, menu, _menu_markup(context))


async def profile(update: Update, context: Context) -> None:
    """Ask for the business type again."""
    stored = await _stored_type(context, user_id(update))
    text = render("business_type_ask", current=business_types().get(stored or ""))
    await reply(update, text, keyboard(business_type_keyboard()))


async def choose_business_type(update: Update, context: Context) -> None:
    """bt:set:<key> — store the choice and confirm it in place of the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    key = query.data.split(":")[-1]
    user = await context.db(set_business_type, user_id=user_id(update), business_type=key)
    if user is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    await reply(
        update, render("business_type_saved", name=business_types()[key], citizen=key == CITIZEN)
    )


async def menu_button(update: Update, context: Context) -> None:
    """menu:<key> — run the feature behind a main-menu button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    key = "menu_" + query.data.split(":", 1)[1]
    action = {
        "menu_profile": profile,
        "menu_help": help_command,
        **context.bot_data.menu_actions,
    }.get(key)
    if action is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await action(update, context)


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("start", start),
    CommandHandler("help", help_command),
    CommandHandler("menu", show_menu),
    CommandHandler("profile", profile),
    CallbackQueryHandler(choose_business_type, pattern=r"^bt:set:[a-z]+$"),
    CallbackQueryHandler(menu_button, pattern=r"^menu:[a-z_]+$"),
]
