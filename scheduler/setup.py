"""Start-up: run each feature's hook (re-register jobs from the database, resume work)."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["on_startup"]

logger = logging.getLogger(__name__)


async def on_startup(app: Any) -> None:
    """Jobs live in memory, so every start re-creates them from the rows that describe them."""
    for hook in app.bot_data.startup_hooks:
        await hook(app)
        logger.info("Start-up hook %s done", getattr(hook, "__name__", hook))
