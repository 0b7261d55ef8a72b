"""YAML reading that remembers line numbers, so a bad entry is reported as file:line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

__all__ = [
    "DataError",
    "Problems",
    "check_item",
    "date_problem",
    "load_with_lines",
    "safe_load",
    "yaml_problem",
]

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


# What PyYAML and libyaml say (their wordings differ), in words staff can act on.
_YAML_PROBLEMS = (
    ("mapping values are not allowed", "这里不能出现“键: 值”（冒号后的内容缩进或引号有误）"),
    ("did not find expected key", "缩进不对齐，找不到下一个键"),
    ("could not find expected ':'", "缺少冒号“:”"),
    ("did not find expected ',' or ']'", "方括号 [ ] 列表没有闭合，或项目之间缺少英文逗号“,”"),
    ("expected ',' or ']'", "方括号 [ ] 列表没有闭合，或项目之间缺少英文逗号“,”"),
    ("did not find expected ',' or '}'", "花括号 { } 没有闭合，或项目之间缺少英文逗号“,”"),
    ("expected ',' or '}'", "花括号 { } 没有闭合，或项目之间缺少英文逗号“,”"),
    ("did not find expected ','", "缺少英文逗号“,”，或括号没有闭合"),
    ("did not find expected '-' indicator", "列表项缩进不对齐，缺少“- ”"),
    ("expected <block end>", "缩进不对齐"),
    ("found character that cannot start any token", "有不能出现在这里的字符（如 Tab 或 @、`）"),
    ("found a tab character", "缩进里有 Tab，请改用空格"),
    ("found unexpected end of stream", "文件意外结束（引号或括号没有闭合）"),
    ("found unknown escape character", "双引号里有无效的转义字符“\\”"),
    ("block sequence entries are not allowed", "这里不能开始“- ”列表"),
    ("found undefined tag handle", "有未定义的“!”标签"),
    ("found duplicate anchor", "锚点“&”重复"),
    ("found undefined alias", "引用“*”的锚点不存在"),
)

_DATE_PROBLEMS = (
    ("month must be in", "月份应在 1-12 之间"),
    ("day is out of range", "这个月没有这一天"),
    ("hour must be in", "小时应在 0-23 之间"),
    ("minute must be in", "分钟应在 0-59 之间"),
    ("second must be in", "秒应在 0-59 之间"),
    ("out of range", "年份超出范围"),
)


def _translated(message: str, table: tuple[tuple[str, str], ...], fallback: str) -> str:
    for english, chinese in table:
        if english in message:
            return chinese
    return fallback


def yaml_problem(problem: str | None) -> str:
    """A YAML parser's problem in Chinese (an unknown wording: a general one)."""
    return _translated(problem or "", _YAML_PROBLEMS, "格式不正确，请检查这一行的缩进、冒号和引号")


def date_problem(exc: ValueError) -> str:
    """Why a date could not be built (datetime's messages are English), in Chinese."""
    return _translated(str(exc), _DATE_PROBLEMS, "不是有效的日期")


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
        problems.add(path, line, f"YAML 语法错误：{yaml_problem(exc.problem)}")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.add(path, None, f"无法读取：{exc}")
    return None


def line_of(item: Any) -> int | None:
    """The line a mapping started on, when it was loaded by load_with_lines."""
    return item.get(LINE_KEY) if isinstance(item, dict) else None


def check_item(
    item: Any,
    path: Path,
    problems: Problems,
    *,
    fields: set[str],
    id_re: re.Pattern[str],
    shape: str,
) -> bool:
    """A list item's common checks: a mapping (else False), known fields, an id of the form id_re.

    ``shape`` names the expected fields in the message ("id、question、answer ……").
    """
    line = line_of(item)
    if not isinstance(item, dict):
        problems.add(path, line, f"每个{shape}")
        return False
    for extra in sorted(set(item) - fields):
        problems.add(path, line, f"未知字段 {extra!r}")
    item_id = item.get("id")
    if not isinstance(item_id, str) or not id_re.match(item_id):
        problems.add(path, line, f"id 应为小写字母、数字和连字符：{item_id!r}")
    return True
