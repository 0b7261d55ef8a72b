"""Registers every handler module in one commented order; returns the enabled features."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from handlers import campaigns, errors, exams, fallback, guidance, start, tips, tracking

if TYPE_CHECKING:
    from telegram.ext import Application

__all__ = ["FEATURE_MODULES", "register"]

# Feature modules export HANDLERS and FEATURE, and optionally DEEP_LINKS (prefix -> handler),
# MENU_ACTIONS (labels.yaml key -> handler), STARTUP (async hooks run in post_init) and
# TEXT_INTERCEPTORS (async (update, context) -> bool: consume private text a draft awaits).
FEATURE_MODULES: tuple[ModuleType, ...] = (guidance, campaigns, tips, exams)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> frozenset[str]:
    """Add all handlers; the order inside group 0 matters, see the comments."""
    data = app.bot_data
    # group -1 sees every update first and never stops it: user rows and block tracking.
    app.add_handlers(tracking.HANDLERS, group=-1)
    # /start, /help, /menu, /profile before the features so their commands always win.
    app.add_handlers(start.HANDLERS)
    enabled: set[str] = set()
    for module in FEATURE_MODULES:
        # Commands and buttons of each feature; their free-text handlers come later.
        app.add_handlers(module.HANDLERS)
        enabled.add(module.FEATURE)
        data.deep_links.update(getattr(module, "DEEP_LINKS", {}))
        data.menu_actions.update(getattr(module, "MENU_ACTIONS", {}))
        data.startup_hooks.extend(getattr(module, "STARTUP", ()))
        data.text_interceptors.extend(getattr(module, "TEXT_INTERCEPTORS", ()))
    # Free text is a question: after every command and every feature's text handlers.
    app.add_handlers(guidance.TEXT_HANDLERS)
    # Unknown commands, non-text messages and stale buttons: last.
    app.add_handlers(fallback.HANDLERS)
    app.add_error_handler(errors.error_handler)
    return frozenset(enabled)
