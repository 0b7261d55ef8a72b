"""Errors the emulator answers with, in Telegram's own envelope."""

from __future__ import annotations

from typing import Any

from telegram.error import BadRequest

CHAT_NOT_FOUND = "Bad Request: chat not found"
MESSAGE_TEXT_EMPTY = "Bad Request: message text is empty"
MESSAGE_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
MESSAGE_TO_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
MESSAGE_TO_DELETE_NOT_FOUND = "Bad Request: message to delete not found"
MESSAGE_CANT_BE_EDITED = "Bad Request: message can't be edited"
MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
BOT_KICKED = "Forbidden: bot was kicked from the group chat"
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active;"
    " use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request;"
    " make sure that only one bot instance is running"
)


class ResponseLost(Exception):
    """The call was carried out but its answer never reached the bot (a read timeout)."""

    def __init__(self, method: str, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{method}: response lost")
        self.status, self.body = status, body


def too_many_requests(retry_after: int) -> str:
    """Telegram's 429 description for a given wait."""
    return f"Too Many Requests: retry after {retry_after}"


def error_envelope(
    status: int, description: str, retry_after: int | None = None
) -> dict[str, Any]:
    """The JSON body Telegram sends with a failed request."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


class ApiError(Exception):
    """A Telegram-style failure: HTTP status plus description (and retry_after for 429)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        """This error as Telegram's JSON body."""
        return error_envelope(self.status, self.description, self.retry_after)


def bad_request(detail: str) -> ApiError:
    """A 400 whose description starts with Telegram's 'Bad Request: ' prefix."""
    return ApiError(400, f"Bad Request: {detail}")


class SpecViolation(BadRequest):
    """A request that breaks the Bot API spec; it fails the bot call that made it.

    It subclasses BadRequest because Telegram answers such requests with 400, so PTB's request
    wrapper re-raises it unchanged into the bot call (a plain Exception would be wrapped in
    NetworkError and retried by PTB's polling loop).
    """

    def __init__(self, method: str, violations: list[str]) -> None:
        super().__init__(f"Bad Request: sandbox spec violation: {'; '.join(violations)}")
        # TelegramError lower-cases what follows "Bad Request: "; keep method names readable.
        self.message = f"Sandbox spec violation: {'; '.join(violations)}"
        self.method = method
        self.violations = violations

    def __reduce__(self) -> tuple[type, tuple[str, list[str]]]:  # type: ignore[override]
        return (SpecViolation, (self.method, self.violations))
