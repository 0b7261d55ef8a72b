"""YAML reading that remembers line numbers, so a bad entry is reported as file:line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

__all__ = ["DataError", "Problems", "load_with_lines", "safe_load"]

LINE_KEY = "__line__"


# libyaml's loader when PyYAML was built with it: the data files load ~10x faster.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):  # type: ignore[valid-type, misc]
    """A safe loader that stores each mapping's first line under LINE_KEY."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = dict(loader.construct_mapping(node, deep=True))
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class DataError(ValueError):
    """One or more data files are broken; str() lists every problem as file:line: message."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Problems:
    """Collects problems while a loader validates everything, then raises them all at once."""

    items: list[str] = field(default_factory=list)

    def add(self, path: Path, line: int | None, message: str) -> None:
        """Record one problem at path:line."""
        where = f"{_display(path)}:{line}" if line else _display(path)
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        """Raise DataError when anything was recorded."""
        if self.items:
            raise DataError(self.items)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def safe_load(stream: str | IO[str]) -> Any:
    """yaml.safe_load, with libyaml when PyYAML has it (the same data, ~10x faster)."""
    return yaml.load(stream, Loader=_Base)


def load_with_lines(path: Path, problems: Problems) -> Any:
    """Parse one YAML file; a syntax error becomes a problem with its line, result None."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problems.add(path, line, f"YAML 语法错误：{exc.problem}")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.add(path, None, f"无法读取：{exc}")
    return None


def line_of(item: Any) -> int | None:
    """The line a mapping started on, when it was loaded by load_with_lines."""
    return item.get(LINE_KEY) if isinstance(item, dict) else None
