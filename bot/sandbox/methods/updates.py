"""getUpdates (long polling) and the webhook methods."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.sandbox import errors
from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.params import Params, opt_bool, opt_int, opt_list, opt_number, opt_str
from bot.sandbox.state import JsonDict
from bot.sandbox.updates import PollSupersededError

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


async def get_updates(emu: BotApiEmulator, params: Params) -> list[Any]:
    """getUpdates: confirm below offset, wait up to timeout, return up to limit updates."""
    if emu.webhook.url:
        raise ApiError(409, errors.WEBHOOK_ACTIVE)
    limit = opt_int(params, "limit") or 100
    limit = min(max(limit, 1), 100)
    timeout = opt_number(params, "timeout") or 0.0
    queue = emu.updates
    queue.set_allowed(opt_list(params, "allowed_updates"))
    offset = opt_int(params, "offset")
    if offset is not None:
        queue.confirm(offset)
    try:
        await queue.long_poll(timeout)
    except PollSupersededError:
        raise ApiError(409, errors.POLL_CONFLICT) from None
    result = queue.peek(limit)
    emu.stats.updates_returned += len(result)
    return result


def set_webhook(emu: BotApiEmulator, params: Params) -> bool:
    """setWebhook: HTTPS, or plain HTTP to a loopback address (the sandbox posts nowhere else)."""
    url = opt_str(params, "url") or ""
    if url:
        parts = urlsplit(url)
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if parts.scheme != "https" and not local:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not parts.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    secret = opt_str(params, "secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    hook = emu.webhook
    hook.url = url
    hook.secret_token = secret if url else None
    hook.max_connections = opt_int(params, "max_connections") or 40
    hook.ip_address = opt_str(params, "ip_address")
    hook.has_custom_certificate = params.get("certificate") is not None
    hook.last_error_date = hook.last_error_message = None
    emu.updates.set_allowed(opt_list(params, "allowed_updates"))
    if opt_bool(params, "drop_pending_updates"):
        emu.updates.clear()
    emu.webhook_changed()
    return True


def delete_webhook(emu: BotApiEmulator, params: Params) -> bool:
    """deleteWebhook."""
    emu.webhook.url = ""
    emu.webhook.secret_token = None
    if opt_bool(params, "drop_pending_updates"):
        emu.updates.clear()
    emu.webhook_changed()
    return True


def get_webhook_info(emu: BotApiEmulator, _params: Params) -> JsonDict:
    """getWebhookInfo."""
    hook = emu.webhook
    info: JsonDict = {
        "url": hook.url,
        "has_custom_certificate": hook.has_custom_certificate,
        "pending_update_count": emu.pending_updates,
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if emu.updates.allowed is not None:
            info["allowed_updates"] = sorted(emu.updates.allowed)
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message or ""
    return info
