"""Typed reads of request parameters, answering 400 the way Telegram does when one is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox.errors import ApiError, bad_request

Params = Mapping[str, object]


def _wrong(name: str) -> ApiError:
    return bad_request(f'wrong type of the parameter "{name}"')


def opt_str(params: Params, name: str) -> str | None:
    """A string parameter, or None when absent."""
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _wrong(name)


def req_str(params: Params, name: str, missing: str | None = None) -> str:
    """A required string parameter; `missing` is the description when it is absent."""
    value = opt_str(params, name)
    if value is None:
        raise ApiError(400, missing or f"Bad Request: {name} is empty")
    return value


def opt_int(params: Params, name: str) -> int | None:
    """An integer parameter (numeric strings accepted, as Telegram does), or None."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _wrong(name)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise _wrong(name)


def req_int(params: Params, name: str, missing: str | None = None) -> int:
    """A required integer parameter."""
    value = opt_int(params, name)
    if value is None:
        raise ApiError(400, missing or f"Bad Request: {name} is empty")
    return value


def opt_number(params: Params, name: str) -> float | None:
    """A numeric parameter such as a timeout."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _wrong(name)


def opt_bool(params: Params, name: str, default: bool = False) -> bool:
    """A boolean parameter with a default."""
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _wrong(name)


def opt_dict(params: Params, name: str) -> dict[str, Any] | None:
    """A JSON object parameter, or None."""
    value = params.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise _wrong(name)


def opt_list(params: Params, name: str) -> list[Any] | None:
    """A JSON array parameter, or None."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return list(value)
    raise _wrong(name)
