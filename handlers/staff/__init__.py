"""Staff: roles, the command menus per role, and /console (the web console's sign-in link)."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.kit import Registration
from handlers.staff.console import console_link
from handlers.staff.roles import grant, publish_command_menus, revoke

__all__ = ["REGISTRATION"]

REGISTRATION = Registration(
    name="staff",
    section="exams",  # /help lists /grant and /revoke with 监督抽考, whose inspectors they make
    handlers=(
        CommandHandler("grant", grant),
        CommandHandler("revoke", revoke),
        CommandHandler("console", console_link),
    ),
    startup=(publish_command_menus,),
)
