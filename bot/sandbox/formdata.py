"""Decoding form-encoded Bot API parameters by their declared types.

PTB's HTTPXRequest sends every parameter as a form field, JSON-encoding all but strings, so
"123" may be the Integer 123 or the String "123": only the parameter's declared type tells.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from bot.sandbox.spec import ApiSpec, TypeRef

# Used only when the spec file is absent: parameters whose value is text, never JSON.
_TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "question",
        "explanation",
        "description",
        "parse_mode",
        "question_parse_mode",
        "explanation_parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "ip_address",
        "action",
        "file_id",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "type",
        "photo",
        "document",
    }
)


def _json_or_raw(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def coerce(types: tuple[TypeRef, ...], raw: str) -> object:
    """One form value as the Python value its declared types call for."""
    bases = {t.base for t in types if t.depth == 0}
    if any(t.depth for t in types) or bases - {
        "String",
        "Integer",
        "Float",
        "Boolean",
        "InputFile",
    }:
        value = _json_or_raw(raw)
        # An object/array parameter that also accepts a String keeps non-JSON text as is.
        return value if isinstance(value, dict | list) or "String" not in bases else raw
    if "Integer" in bases:
        try:
            return int(raw)
        except ValueError:
            pass
    if "Float" in bases:
        try:
            return float(raw)
        except ValueError:
            pass
    if "Boolean" in bases and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def decode_fields(
    spec: ApiSpec | None, method: str, fields: Mapping[str, str]
) -> dict[str, object]:
    """Form fields of one call as typed parameters."""
    canonical = spec.canonical_method(method) if spec is not None else None
    params: dict[str, object] = {}
    for name, raw in fields.items():
        types = spec.param_types(canonical, name) if spec is not None and canonical else None
        if types is not None:
            params[name] = coerce(types, raw)
        elif name in _TEXT_PARAMS:
            params[name] = raw
        else:
            params[name] = _json_or_raw(raw)
    return params
