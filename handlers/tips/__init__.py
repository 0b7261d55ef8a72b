"""节日消费提示 and subscriptions; the pushes themselves are scheduler/pushes.py."""

from __future__ import annotations

from bot.kit import Registration
from handlers.tips import commands
from scheduler.pushes import setup_jobs

__all__ = ["REGISTRATION"]

REGISTRATION = Registration(
    name="tips",
    section="tips",
    handlers=tuple(commands.HANDLERS),
    menu_actions={"menu_tips": commands.tips, "menu_subscribe": commands.subscribe},
    startup=(setup_jobs,),
)
