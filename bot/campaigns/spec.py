"""A 你点我检 campaign definition: YAML (or the chat builder's answers) -> a validated spec."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from knowledge.yamlfile import LINE_KEY, Problems, date_problem, line_of, load_with_lines

__all__ = [
    "RESULTS_VISIBILITY",
    "VOTE_RULES",
    "BallotSpec",
    "CampaignSpec",
    "FieldError",
    "check_ballot_title",
    "check_description",
    "check_max_choices",
    "check_options",
    "check_title",
    "check_townships",
    "load_definition",
    "load_definition_bytes",
    "parse_local_time",
    "spec_from_mapping",
    "split_items",
]

MAX_TITLE = 100
MAX_DESCRIPTION = 1000
MAX_BALLOTS = 8
MAX_BALLOT_TITLE = 60
MIN_OPTIONS, MAX_OPTIONS = 2, 30
MAX_OPTION = 30  # a button label with the ✅ mark; native poll options allow 100
MAX_TOWNSHIPS = 40
MAX_TOWNSHIP = 20
VOTE_RULES = ("campaign", "daily")
RESULTS_VISIBILITY = ("live", "after_close", "never")
KEYS = frozenset(
    {
        "title",
        "description",
        "ballots",
        "townships",
        "starts_at",
        "ends_at",
        "vote_rule",
        "results",
        "suggestions",
    }
)
BALLOT_KEYS = frozenset({"title", "options", "max_choices", "optional"})
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")


class FieldError(ValueError):
    """One field's value is unusable; the message says why, in Chinese."""


@dataclass(frozen=True, slots=True)
class BallotSpec:
    """One question with its options."""

    title: str
    options: tuple[str, ...]
    max_choices: int = 1
    optional: bool = False  # may be left unanswered ("都不选/不适用")


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """A validated campaign; times are UTC."""

    title: str
    ballots: tuple[BallotSpec, ...]
    description: str = ""
    townships: tuple[str, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    vote_rule: str = "campaign"
    results_visibility: str = "after_close"
    allow_suggestions: bool = False


# --- field checks (shared by the YAML loader and the chat builder) ---------------------------


def _text(value: object, what: str, limit: int, *, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise FieldError(f"{what}应为文字")
    text = str(value).strip()
    if required and not text:
        raise FieldError(f"{what}不能为空")
    if len(text) > limit:
        raise FieldError(f"{what}不能超过 {limit} 个字（现有 {len(text)} 个）")
    return text


def check_title(value: object) -> str:
    """The campaign title: 1-100 characters."""
    return _text(value, "标题", MAX_TITLE)


def check_description(value: object) -> str:
    """The optional description: up to 1000 characters."""
    return _text(value, "说明", MAX_DESCRIPTION, required=False)


def check_ballot_title(value: object) -> str:
    """A question's title: 1-60 characters."""
    return _text(value, "问题标题", MAX_BALLOT_TITLE)


def split_items(text: str) -> list[str]:
    """Options typed in chat: one per line, or separated by 、，, ；;."""
    return [p.strip() for p in re.split(r"[\n、，,；;]+", text) if p.strip()]


def _unique_texts(value: object, what: str, limit: int) -> tuple[str, ...]:
    if isinstance(value, str):
        value = split_items(value)
    if not isinstance(value, list):
        raise FieldError(f"{what}应为列表")
    items = tuple(_text(v, what, limit) for v in value)
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise FieldError(f"{what}重复：{item}")
        seen.add(item)
    return items


def check_options(value: object) -> tuple[str, ...]:
    """2-30 distinct options of at most 30 characters."""
    options = _unique_texts(value, "选项", MAX_OPTION)
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise FieldError(f"选项应有 {MIN_OPTIONS}-{MAX_OPTIONS} 个（现有 {len(options)} 个）")
    return options


def check_max_choices(value: object, option_count: int) -> int:
    """How many options a voter may tick: 1 to the number of options."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError("最多可选数应为整数")
    if not 1 <= value <= option_count:
        raise FieldError(f"最多可选数应在 1 到 {option_count} 之间（现为 {value}）")
    return value


def check_townships(value: object) -> tuple[str, ...]:
    """The optional 镇/街道 list: none, or 2-40 distinct names."""
    if value is None or value == "" or value == []:
        return ()
    towns = _unique_texts(value, "镇/街道", MAX_TOWNSHIP)
    if not 2 <= len(towns) <= MAX_TOWNSHIPS:
        raise FieldError(f"镇/街道应有 2-{MAX_TOWNSHIPS} 个（现有 {len(towns)} 个）")
    return towns


def _choice(value: object, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise FieldError(f"{what}应为 {' / '.join(allowed)} 之一（现为 {value!r}）")
    return str(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"应为 true 或 false（现为 {value!r}）")
    return value


# The shape only: a fixed date would soon be in the past, and prompts compute theirs from today.
_FORMAT_EXAMPLE = "YYYY-MM-DD HH:MM"


def parse_local_time(value: object, tz: ZoneInfo, *, end: bool = False) -> datetime | None:
    """A local time (Asia/Shanghai) as UTC; a bare date means 00:00, or 24:00 when end=True."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        local = value if value.tzinfo else value.replace(tzinfo=tz)
        return local.astimezone(UTC)
    if isinstance(value, date):
        return _day_edge(value, tz, end)
    if isinstance(value, str):
        text = value.strip()
        for fmt in _TIME_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=tz).astimezone(UTC)
            except ValueError:
                continue
        for fmt in _DATE_FORMATS:
            try:
                return _day_edge(datetime.strptime(text, fmt).date(), tz, end)
            except ValueError:
                continue
    raise FieldError(f"时间应写成 {_FORMAT_EXAMPLE}（年-月-日 时:分），现为 {value!r}")


def _day_edge(day: date, tz: ZoneInfo, end: bool) -> datetime:
    start = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=tz)
    return start.astimezone(UTC)


# --- the whole definition ----------------------------------------------------------------------


@dataclass
class _Checker:
    """Runs field checks, recording each failure with its field name and line."""

    problems: Problems
    path: Path
    lines: dict[tuple[object, ...], int] = field(default_factory=dict)
    fallback: int | None = None
    fields: dict[str, str] | None = None  # a form's errors by field name, when asked for

    def line(self, where: tuple[object, ...]) -> int | None:
        for cut in range(len(where), -1, -1):
            if where[:cut] in self.lines:
                return self.lines[where[:cut]]
        return self.fallback

    def check(self, where: tuple[object, ...], fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except FieldError as exc:
            self.fail(where, str(exc))
            return None

    def fail(self, where: tuple[object, ...], message: str) -> None:
        name = "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in where)
        self.problems.add(self.path, self.line(where), f"{name.lstrip('.') or '文件'}：{message}")
        if self.fields is not None:
            self.fields.setdefault(name.lstrip("."), message)


def spec_from_mapping(
    raw: object,
    *,
    problems: Problems,
    path: Path,
    now: datetime,
    tz: ZoneInfo,
    lines: dict[tuple[object, ...], int] | None = None,
    fields: dict[str, str] | None = None,
) -> CampaignSpec | None:
    """Validate a loaded definition; every problem is recorded, None when there was any.

    With `fields`, each problem's message is also kept under its field's name
    (`title`, `ballots[1].options` …) so a form can show it next to the field.
    """
    checker = _Checker(problems, path, lines or {}, line_of(raw), fields)
    before = len(problems.items)
    if not isinstance(raw, Mapping):
        checker.fail((), "应为键值对（title: ...、ballots: ... 等）")
        return None
    for key in raw:
        if key != LINE_KEY and key not in KEYS:
            checker.fail((str(key),), f"未知字段（可用：{', '.join(sorted(KEYS))}）")
    title = checker.check(("title",), lambda: check_title(raw.get("title")))
    description = checker.check(
        ("description",), lambda: check_description(raw.get("description"))
    )
    ballots = _ballots(raw.get("ballots"), checker)
    towns = checker.check(("townships",), lambda: check_townships(raw.get("townships")))
    rule = checker.check(
        ("vote_rule",), lambda: _choice(raw.get("vote_rule", "campaign"), VOTE_RULES, "投票规则")
    )
    shown = checker.check(
        ("results",),
        lambda: _choice(raw.get("results", "after_close"), RESULTS_VISIBILITY, "结果公开方式"),
    )
    suggestions = checker.check(("suggestions",), lambda: _flag(raw.get("suggestions", False)))
    starts = checker.check(("starts_at",), lambda: parse_local_time(raw.get("starts_at"), tz))
    ends = checker.check(("ends_at",), lambda: parse_local_time(raw.get("ends_at"), tz, end=True))
    if starts is not None and ends is not None and ends <= starts:
        checker.fail(("ends_at",), "结束时间应晚于开始时间")
    elif ends is not None and ends <= now:
        checker.fail(("ends_at",), "结束时间已过")
    if len(problems.items) > before:
        return None
    return CampaignSpec(
        title=title,
        description=description,
        ballots=tuple(ballots),
        townships=towns,
        starts_at=starts,
        ends_at=ends,
        vote_rule=rule,
        results_visibility=shown,
        allow_suggestions=suggestions,
    )


def _ballots(raw: object, checker: _Checker) -> list[BallotSpec]:
    if not isinstance(raw, list) or not raw:
        checker.fail(("ballots",), "至少需要一个问题（ballots: 列表）")
        return []
    if len(raw) > MAX_BALLOTS:
        checker.fail(("ballots",), f"问题不能超过 {MAX_BALLOTS} 个（现有 {len(raw)} 个）")
    found = [_ballot(item, ("ballots", i), checker) for i, item in enumerate(raw)]
    return [b for b in found if b is not None]


def _ballot(item: object, where: tuple[object, ...], checker: _Checker) -> BallotSpec | None:
    if not isinstance(item, Mapping):
        checker.fail(where, "应为 title / options / max_choices / optional")
        return None
    for key in item:
        if key != LINE_KEY and key not in BALLOT_KEYS:
            checker.fail(
                (*where, str(key)), "未知字段（可用：title, options, max_choices, optional）"
            )
    title = checker.check((*where, "title"), lambda: check_ballot_title(item.get("title")))
    options = checker.check((*where, "options"), lambda: check_options(item.get("options")))
    if options is None:
        return None
    most = checker.check(
        (*where, "max_choices"),
        lambda: check_max_choices(item.get("max_choices", 1), len(options)),
    )
    optional = checker.check((*where, "optional"), lambda: _flag(item.get("optional", False)))
    if title is None or most is None or optional is None:
        return None
    return BallotSpec(title, options, most, optional)


def _key_lines(text: str) -> dict[tuple[object, ...], int]:
    """The line of every key and list item, so a problem points at its own line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[object, ...], int] = {}

    def walk(node: yaml.Node, where: tuple[object, ...]) -> None:
        lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[(*where, key.value)] = key.start_mark.line + 1
                walk(value, (*where, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*where, i))

    if root is not None:
        walk(root, ())
    return lines


def _bad_date_line(text: str) -> int | None:
    """The line of the first YAML date that cannot be built (PyYAML raises without a mark)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        stack = [root] if root is not None else []
        while stack:
            node = stack.pop(0)
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
                try:
                    loader.construct_yaml_timestamp(node)
                except ValueError:
                    return int(node.start_mark.line) + 1
            elif isinstance(node, yaml.MappingNode):
                stack += [n for pair in node.value for n in pair]
            elif isinstance(node, yaml.SequenceNode):
                stack += node.value
    finally:
        loader.dispose()
    return None


@dataclass
class _Shown(Problems):
    """Problems reported under the name the admin knows (the uploaded file's name)."""

    shown: Path = field(default_factory=Path)

    def add(self, _path: Path, line: int | None, message: str) -> None:
        """Record one problem under the shown name."""
        super().add(self.shown, line, message)


def load_definition(
    path: Path, *, now: datetime, tz: ZoneInfo, shown: Path | None = None
) -> CampaignSpec:
    """Load and validate a campaign YAML file; raises DataError listing file:line: problem."""
    problems = _Shown(shown=shown or path)
    try:
        raw = load_with_lines(path, problems)
    except ValueError as exc:  # a well-formed but impossible date such as 2025-13-01
        text = path.read_text(encoding="utf-8", errors="replace")
        problems.add(path, _bad_date_line(text), f"日期无效：{date_problem(exc)}")
    spec = None
    if not problems.items:
        text = path.read_text(encoding="utf-8")
        spec = spec_from_mapping(
            raw, problems=problems, path=path, now=now, tz=tz, lines=_key_lines(text)
        )
    problems.raise_if_any()
    assert spec is not None
    return spec


def load_definition_bytes(data: bytes, name: str, *, now: datetime, tz: ZoneInfo) -> CampaignSpec:
    """Validate an uploaded definition; problems name the file as the admin sent it."""
    shown = Path(Path(name).name or "campaign.yaml")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "campaign.yaml"
        path.write_bytes(data)
        return load_definition(path, now=now, tz=tz, shown=shown)
