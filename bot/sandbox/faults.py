"""Fault injection: make the next N matching calls fail the way Telegram can."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.sandbox.errors import ApiError, too_many_requests

# The status of a rule that lets the call happen and then loses its answer (see ResponseLost).
LOST_RESPONSE = 0

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(slots=True)
class FaultRule:
    """Fail `remaining` more calls of `method` ("*" for any), optionally only for one chat."""

    method: str
    status: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | str | None

    def matches(self, method: str, params: Mapping[str, object]) -> bool:
        """Whether this rule applies to the call."""
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


class FaultInjector:
    """Holds the rules and turns the first matching one into an ApiError."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> FaultRule:
        """Register a rule; the description defaults to Telegram's wording for the status."""
        if description is None:
            if status == 429:
                retry_after = retry_after if retry_after is not None else 1
                description = too_many_requests(retry_after)
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")
        rule = FaultRule(method, status, description, retry_after, times, chat_id)
        self.rules.append(rule)
        return rule

    def take(self, method: str, params: Mapping[str, object]) -> ApiError | None:
        """The error for this call if a rule matches (consuming one use of it)."""
        for rule in self.rules:
            if rule.matches(method, params):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                return ApiError(rule.status, rule.description, rule.retry_after)
        return None
