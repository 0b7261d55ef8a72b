"""One Refusal: an action refused for a reason the user is told; it changed nothing.

Services raise it (or return it in a result); handlers show it with bot.kit.replies.refuse.
This module imports no telegram, so services may use it.
"""

from __future__ import annotations

from bot.render import render

__all__ = ["Refusal", "refusal_text"]


class Refusal(Exception):
    """Why an action was refused: `template` is the feature's sentence, `reason` its branch."""

    def __init__(self, template: str, reason: str, /, **info: object) -> None:
        super().__init__(f"{template}: {reason}")
        self.template = template
        self.reason = str(reason)
        self.info = info  # plain values only: a refusal outlives the session that made it


def refusal_text(refusal: Refusal) -> str:
    """The sentence for a refused action (HTML)."""
    return render(refusal.template, reason=refusal.reason, info=refusal.info)
