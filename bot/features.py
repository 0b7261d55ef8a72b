"""The features users can see: built from templates/features.yaml and what is registered."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

__all__ = ["Command", "Feature", "load_features"]

_FILE = Path(__file__).parent / "templates" / "features.yaml"


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command with its Chinese description and who may use it."""

    name: str
    help: str
    role: str  # user | inspector | admin


@dataclass(frozen=True, slots=True)
class Feature:
    """One of the bot's jobs, as shown in /help and /menu."""

    key: str
    title: str
    summary: str
    menu: tuple[str, ...]
    commands: tuple[Command, ...]

    def for_role(self, role: str) -> tuple[Command, ...]:
        """The commands of exactly this role."""
        return tuple(c for c in self.commands if c.role == role)


@cache
def _all() -> tuple[Feature, ...]:
    with _FILE.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return tuple(
        Feature(
            key=key,
            title=v["title"],
            summary=v["summary"],
            menu=tuple(v.get("menu", ())),
            commands=tuple(Command(**c) for c in v.get("commands", ())),
        )
        for key, v in raw.items()
    )


def load_features(enabled: frozenset[str]) -> tuple[Feature, ...]:
    """The enabled features in display order."""
    return tuple(f for f in _all() if f.key in enabled)
