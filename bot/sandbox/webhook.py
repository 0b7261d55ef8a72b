"""Webhook delivery: POST each queued update to the URL setWebhook named, retrying failures."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """One background task delivering updates in order, like Telegram with max_connections=1."""

    def __init__(
        self,
        emu: BotApiEmulator,
        *,
        retry_delay: float = 0.1,
        max_retry_delay: float = 5.0,
        timeout: float = 10.0,
    ) -> None:
        self._emu = emu
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin delivering (needs a running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sandbox-webhook")

    def stop(self) -> None:
        """Stop delivering; wait_closed() waits for the task to finish."""
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        """Wait until the delivery task has ended."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        emu = self._emu
        hook = emu.webhook
        delay = self._retry_delay
        # trust_env=False: never route loopback deliveries through a proxy from the environment.
        async with httpx.AsyncClient(trust_env=False, timeout=self._timeout) as client:
            while hook.url:
                pending = emu.updates.peek(1)
                if not pending:
                    await emu.updates.wait(30.0)
                    continue
                update = pending[0]
                headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
                error = None
                try:
                    response = await client.post(hook.url, json=update, headers=headers)
                    if not 200 <= response.status_code < 300:
                        error = (
                            "Wrong response from the webhook: "
                            f"{response.status_code} {response.reason_phrase}"
                        )
                except httpx.HTTPError as exc:
                    error = f"Connection failed: {exc.__class__.__name__}: {exc}"
                if error is None:
                    emu.updates.confirm(update["update_id"] + 1)
                    emu.stats.webhook_deliveries += 1
                    delay = self._retry_delay
                    continue
                emu.stats.webhook_failures += 1
                hook.last_error_date = emu.now_unix()
                hook.last_error_message = error
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay)
