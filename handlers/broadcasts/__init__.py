"""Admin broadcasts; the engine that sends them is scheduler/broadcasts.py."""

from __future__ import annotations

from bot.kit import Registration
from handlers.broadcasts import compose

__all__ = ["REGISTRATION"]

REGISTRATION = Registration(
    name="broadcasts",
    section="tips",  # /help lists the broadcast commands with 节日消费提示
    handlers=tuple(compose.HANDLERS),
    text_inputs=(compose.broadcast_text,),
)
