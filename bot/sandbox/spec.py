"""The Bot API spec (shared/telegram/bot-api-spec.json) as a request validator."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sandbox.entities import HtmlError, parse_html, trim
from bot.sandbox.files import UploadedFile

SPEC_ENV = "SANDBOX_SPEC_PATH"
_PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})

_LENGTH = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_COUNT = re.compile(r"(\d+)-(\d+) (?:[a-z]+ ){0,2}(?:items|options|elements)")
_INT_RANGE = re.compile(r"[Vv]alues between (\d+)[- ](?:and )?(\d+)")
_LINE_FEEDS = re.compile(r"at most (\d+) line feeds")
_DISCRIMINATOR = re.compile(r"(?:must be|always) [\"“]?([a-z_]+)[\"”]?")

# python-telegram-bot's Defaults add these to every method that shares its send helper (e.g.
# parse_mode on sendPoll); Telegram ignores parameters a method does not have, so they pass.
DEFAULTS_EXTRAS = frozenset(
    {
        "parse_mode",
        "disable_notification",
        "protect_content",
        "link_preview_options",
        "allow_sending_without_reply",
        "explanation_parse_mode",
        "question_parse_mode",
        "text_parse_mode",
    }
)

# Limits the project relies on that the 10.x description no longer states (it says 1-12
# options); DESIGN.md fixes 2-12, so a one-option poll is a bot bug here.
_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("sendPoll", "options"): {"count": (2, 12)},
}


def default_spec_path() -> Path:
    """Where the spec lives: $SANDBOX_SPEC_PATH, else shared/ beside the project root."""
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared/telegram/bot-api-spec.json"


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One declared type: base name nested in `depth` arrays ("Array of Array of X" = 2)."""

    base: str
    depth: int

    @classmethod
    def parse(cls, text: str) -> TypeRef:
        """Parse "Array of ... X"."""
        depth = 0
        while text.startswith("Array of "):
            text = text[len("Array of ") :]
            depth += 1
        return cls(text, depth)

    def __str__(self) -> str:
        return "Array of " * self.depth + self.base


@dataclass(frozen=True, slots=True)
class FieldRule:
    """A parameter or object field with the limits its description states."""

    name: str
    types: tuple[TypeRef, ...]
    required: bool
    length: tuple[int, int, str] | None = None  # (min, max, "characters" | "bytes")
    after_entities: bool = False
    count: tuple[int, int] | None = None
    int_range: tuple[int, int] | None = None
    max_line_feeds: int | None = None

    @property
    def has_limits(self) -> bool:
        """Whether the description stated any limit to check."""
        return (
            self.length is not None
            or self.count is not None
            or self.int_range is not None
            or self.max_line_feeds is not None
        )


class Schema:
    """The fields of a method or object type, with the required ones listed once."""

    __slots__ = ("fields", "limited", "required")

    def __init__(self, fields: dict[str, FieldRule]) -> None:
        self.fields = fields
        self.required = tuple(name for name, rule in fields.items() if rule.required)
        self.limited = frozenset(name for name, rule in fields.items() if rule.has_limits)


def _rule(owner: str, raw: Mapping[str, Any]) -> FieldRule:
    name = raw["name"]
    description = raw.get("description", "")
    types = tuple(TypeRef.parse(t) for t in raw["types"])
    length = count = int_range = None
    is_string = any(t.base == "String" and t.depth == 0 for t in types)
    is_array = any(t.depth > 0 for t in types)
    if is_string and (m := _LENGTH.search(description)):
        length = (int(m.group(1)), int(m.group(2)), m.group(3))
    if is_array and (m := _COUNT.search(description)):
        count = (int(m.group(1)), int(m.group(2)))
    if any(t.base == "Integer" and t.depth == 0 for t in types) and (
        m := _INT_RANGE.search(description)
    ):
        int_range = (int(m.group(1)), int(m.group(2)))
    feeds = _LINE_FEEDS.search(description)
    override = _OVERRIDES.get((owner, name), {})
    return FieldRule(
        name=name,
        types=types,
        required=bool(raw.get("required")),
        length=length,
        after_entities="after entit" in description,
        count=override.get("count", count),
        int_range=int_range,
        max_line_feeds=int(feeds.group(1)) if feeds else None,
    )


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list | tuple):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def _measured(value: str, parse_mode: object) -> str | None:
    """The text Telegram stores for value: parsed when parse_mode is HTML, always trimmed."""
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        try:
            value, _ = parse_html(value)
        except HtmlError:
            return None  # the emulator answers "can't parse entities" instead
    return trim(value, [])[0]


class ApiSpec:
    """Validates Bot API calls against the spec's methods and types."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = str(raw.get("version", "?"))
        self.methods: dict[str, Schema] = {}
        self.returns: dict[str, tuple[TypeRef, ...]] = {}
        self.types: dict[str, Schema] = {}
        self.subtypes: dict[str, tuple[str, ...]] = {}
        self.discriminators: dict[str, tuple[str, dict[str, str]]] = {}
        self._lower: dict[str, str] = {}
        for name, method in raw["methods"].items():
            fields = {f["name"]: _rule(name, f) for f in method.get("fields", [])}
            self.methods[name] = Schema(fields)
            self.returns[name] = tuple(TypeRef.parse(t) for t in method.get("returns", []))
            self._lower[name.lower()] = name
        for name, kind in raw["types"].items():
            self.types[name] = Schema({f["name"]: _rule(name, f) for f in kind.get("fields", [])})
            subtypes = tuple(s for s in kind.get("subtypes", []) if s in raw["types"])
            if subtypes:
                self.subtypes[name] = subtypes
        for name, subtypes in self.subtypes.items():
            self._find_discriminator(name, subtypes, raw["types"])

    def _find_discriminator(
        self, name: str, subtypes: tuple[str, ...], raw_types: Mapping[str, Any]
    ) -> None:
        # Unions like BotCommandScope are told apart by a first field "must be X"/"always X".
        field_name: str | None = None
        mapping: dict[str, str] = {}
        for subtype in subtypes:
            fields = raw_types[subtype].get("fields", [])
            if not fields:
                return
            first = fields[0]
            match = _DISCRIMINATOR.search(first.get("description", ""))
            if match is None or (field_name is not None and first["name"] != field_name):
                return
            field_name = first["name"]
            mapping[match.group(1)] = subtype
        if field_name is not None:
            self.discriminators[name] = (field_name, mapping)

    def canonical_method(self, method: str) -> str | None:
        """The spec's spelling of a method name (Telegram matches names case-insensitively)."""
        return self._lower.get(method.lower())

    def param_types(self, method: str, param: str) -> tuple[TypeRef, ...] | None:
        """Declared types of one parameter, or None when the spec does not list it."""
        schema = self.methods.get(method)
        rule = schema.fields.get(param) if schema is not None else None
        return rule.types if rule else None

    def validate(self, method: str, params: Mapping[str, object]) -> list[str]:
        """Every way this call breaks the spec, as readable strings (empty when it is fine)."""
        canonical = self.canonical_method(method)
        if canonical is None:
            return [f"{method}: unknown method"]
        errors: list[str] = []
        self._check_fields(self.methods[canonical], params, canonical, errors, "parameter")
        return errors

    def validate_object(self, type_name: str, value: object, path: str = "") -> list[str]:
        """Every way value breaks the spec's definition of type_name."""
        errors: list[str] = []
        self._check_value(TypeRef.parse(type_name), value, path or type_name, errors)
        return errors

    def _check_fields(
        self,
        schema: Schema,
        values: Mapping[str, object],
        path: str,
        errors: list[str],
        noun: str = "field",
    ) -> None:
        rules = schema.fields
        for name, value in values.items():
            rule = rules.get(name)
            if rule is None:
                if noun == "parameter" and name in DEFAULTS_EXTRAS:
                    continue
                errors.append(f"{path}: unknown {noun} {name!r}")
                continue
            where = f"{path}.{name}"
            if value is None:
                continue
            before = len(errors)
            self._check_types(rule.types, value, where, errors)
            if name in schema.limited and len(errors) == before:
                self._check_limits(rule, value, values, where, errors)
        for name in schema.required:
            if values.get(name) is None:
                errors.append(f"{path}: missing required {noun} {name!r}")

    def _check_types(
        self, types: tuple[TypeRef, ...], value: object, where: str, errors: list[str]
    ) -> None:
        if len(types) == 1:
            self._check_value(types[0], value, where, errors)
            return
        best: list[str] | None = None
        for type_ref in types:
            attempt: list[str] = []
            self._check_value(type_ref, value, where, attempt)
            if not attempt:
                return
            # A dict that fits none of several object types: report the closest one.
            is_object = type_ref.depth == 0 and type_ref.base not in _PRIMITIVES
            if (
                is_object
                and isinstance(value, dict)
                and (best is None or len(attempt) < len(best))
            ):
                best = attempt
        if best is not None:
            errors.extend(best)
        else:
            errors.append(self._type_error(types, value, where))

    @staticmethod
    def _type_error(types: tuple[TypeRef, ...], value: object, where: str) -> str:
        names = " or ".join(str(t) for t in types)
        return f"{where}: expected {names}, got {_type_name(value)}"

    def _check_value(
        self, type_ref: TypeRef, value: object, where: str, errors: list[str]
    ) -> None:
        if type_ref.depth:
            if not isinstance(value, list | tuple):
                errors.append(self._type_error((type_ref,), value, where))
                return
            inner = TypeRef(type_ref.base, type_ref.depth - 1)
            for index, item in enumerate(value):
                self._check_value(inner, item, f"{where}[{index}]", errors)
            return
        base = type_ref.base
        ok: bool
        if base == "String":
            ok = isinstance(value, str)
        elif base == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif base == "Boolean":
            ok = isinstance(value, bool)
        elif base == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif base == "InputFile":
            ok = isinstance(value, UploadedFile | bytes)
        else:
            if not isinstance(value, dict):
                errors.append(self._type_error((type_ref,), value, where))
                return
            self._check_object(base, value, where, errors)
            return
        if not ok:
            errors.append(self._type_error((type_ref,), value, where))

    def _check_object(
        self, base: str, value: dict[str, object], where: str, errors: list[str]
    ) -> None:
        subtypes = self.subtypes.get(base)
        if subtypes:
            discriminator = self.discriminators.get(base)
            if discriminator is not None:
                field_name, mapping = discriminator
                tag = value.get(field_name)
                chosen = mapping.get(tag) if isinstance(tag, str) else None
                if chosen is None:
                    errors.append(
                        f"{where}.{field_name}: must be one of {sorted(mapping)}, got {tag!r}"
                    )
                    return
                self._check_object(chosen, value, where, errors)
            else:
                self._check_types(tuple(TypeRef(s, 0) for s in subtypes), value, where, errors)
            return
        schema = self.types.get(base)
        if schema is None:
            errors.append(f"{where}: unknown type {base}")
            return
        self._check_fields(schema, value, where, errors)

    @staticmethod
    def _check_limits(
        rule: FieldRule,
        value: object,
        siblings: Mapping[str, object],
        where: str,
        errors: list[str],
    ) -> None:
        if rule.length is not None and isinstance(value, str):
            low, high, unit = rule.length
            if unit == "bytes":
                size: int | None = len(value.encode("utf-8"))
            else:
                text: str | None = value
                if rule.after_entities:
                    mode = siblings.get(f"{rule.name}_parse_mode", siblings.get("parse_mode"))
                    text = _measured(value, mode)
                size = None if text is None else len(text)
            if size is not None and not low <= size <= high:
                parsed = " after entity parsing" if rule.after_entities else ""
                errors.append(f"{where}: {size} {unit}{parsed}, must be {low}-{high}")
        feeds = rule.max_line_feeds
        if feeds is not None and isinstance(value, str) and value.count("\n") > feeds:
            errors.append(f"{where}: more than {rule.max_line_feeds} line feeds")
        if rule.count is not None and isinstance(value, list | tuple):
            low, high = rule.count
            if not low <= len(value) <= high:
                errors.append(f"{where}: {len(value)} items, must be {low}-{high}")
        if rule.int_range is not None and isinstance(value, int) and not isinstance(value, bool):
            low, high = rule.int_range
            if not low <= value <= high:
                errors.append(f"{where}: {value} is outside {low}-{high}")


@functools.cache
def _load(path: str, mtime: float) -> ApiSpec:  # noqa: ARG001  (mtime keys the cache)
    with open(path, encoding="utf-8") as handle:
        return ApiSpec(json.load(handle))


class SpecMissing(FileNotFoundError):
    """The Bot API spec is absent where validation must not be skipped (CI)."""


def spec_required() -> bool:
    """Under CI (CI=true) a missing spec fails loudly instead of switching validation off."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def load_spec(path: Path | None = None, *, required: bool | None = None) -> ApiSpec | None:
    """The parsed spec (cached per file); None when the file is absent, unless it is required
    (by default: under CI), which raises SpecMissing."""
    target = path or default_spec_path()
    try:
        mtime = target.stat().st_mtime
    except OSError:
        if required if required is not None else spec_required():
            raise SpecMissing(
                f"Bot API spec not found at {target}: CI validates every request against it "
                f"(put it there or set {SPEC_ENV})"
            ) from None
        return None
    return _load(str(target), mtime)
