"""/grant and /revoke (admins make users inspectors) and each person's command menu."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError

from bot.kit import App, BotData, Context
from bot.render import render
from bot.staff.roles import grant_role, list_role_holders, revoke_role
from handlers.common import args_text, parse_int, reply, require_admin, user_id

__all__ = [
    "command_menu",
    "configured_roles",
    "first_seen",
    "grant",
    "publish_command_menus",
    "revoke",
]

logger = logging.getLogger(__name__)


def command_menu(bot_data: BotData, roles: set[str]) -> list[BotCommand]:
    """The slash-command menu for someone holding these roles (always includes 'user')."""
    commands = [BotCommand("menu", "主菜单"), BotCommand("help", "使用帮助")]
    for feature in bot_data.features:
        for cmd in feature.commands:
            if cmd.role in roles:
                commands.append(BotCommand(cmd.name, cmd.help[:256]))
    commands.append(BotCommand("profile", "修改经营类型"))
    return commands[:100]


def configured_roles(bot_data: BotData, uid: int) -> set[str] | None:
    """The roles the settings give this user (ADMIN_/INSPECTOR_USER_IDS); None: not staff."""
    settings = bot_data.settings
    if uid in settings.admin_user_ids:
        return {"user", "inspector", "admin"}
    if uid in settings.inspector_user_ids:
        return {"user", "inspector"}
    return None


async def _set_staff_menu(app: App, uid: int, roles: set[str]) -> None:
    try:
        await app.bot.set_my_commands(
            command_menu(app.bot_data, roles), scope=BotCommandScopeChat(uid)
        )
    except TelegramError as exc:  # staff who never opened the bot have no chat yet
        logger.info("Staff command menu for %s not set: %s", uid, exc)


async def publish_command_menus(app: App) -> None:
    """Start-up: everyone's command menu, and each configured staff member's own."""
    data = app.bot_data
    await app.bot.set_my_commands(command_menu(data, {"user"}), scope=BotCommandScopeDefault())
    staff = {*data.settings.inspector_user_ids, *data.settings.admin_user_ids}
    for uid in staff:
        await _set_staff_menu(app, uid, configured_roles(data, uid) or {"user"})


async def first_seen(context: Context, uid: int) -> None:
    """A user writes for the first time: staff from the settings get their menu now.

    At start-up their chat did not exist yet, so Telegram refused their menu then.
    """
    roles = configured_roles(context.bot_data, uid)
    if roles is not None:
        await _set_staff_menu(context.application, uid, roles)


async def _set_menu(context: Context, target: int, roles: set[str]) -> None:
    """Show the target the command menu of their new roles (they may never have started us)."""
    try:
        commands = command_menu(context.bot_data, roles)
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(target))
        await context.bot.send_message(
            target, render("exam_role_notice", granted="inspector" in roles)
        )
    except TelegramError as exc:
        logger.info("role notice to %s not delivered: %s", target, exc)


async def _change_role(update: Update, context: Context, *, grant: bool) -> None:
    action = "grant" if grant else "revoke"
    text = args_text(context)
    if not text:
        holders = await context.db(list_role_holders)
        await reply(update, render("exam_grant", action="list", users=holders, target=0, ok=False))
        return
    target = parse_int(text)
    if target is None:
        await reply(
            update, render("exam_grant", action="usage", command=action, users=[], target=0)
        )
        return
    actor = user_id(update)
    settings = context.bot_data.settings
    configured = target in settings.inspector_user_ids or target in settings.admin_user_ids
    if grant and configured:
        outcome = "already"
    elif grant:
        outcome = await context.db(grant_role, actor_id=actor, user_id=target)
    else:
        revoked = await context.db(revoke_role, actor_id=actor, user_id=target)
        outcome = "revoked" if revoked else ""
    ok = outcome in ("granted", "revoked")
    await reply(
        update,
        render("exam_grant", action=action, users=[], target=target, ok=ok, outcome=outcome),
    )
    if ok:  # only a real change is announced: a second /grant notifies nobody
        await _set_menu(context, target, {"user", "inspector"} if grant else {"user"})


@require_admin
async def grant(update: Update, context: Context) -> None:
    """/grant <user id> — make a user an inspector (no argument: list them)."""
    await _change_role(update, context, grant=True)


@require_admin
async def revoke(update: Update, context: Context) -> None:
    """/revoke <user id> — take the inspector role back."""
    await _change_role(update, context, grant=False)
