"""LOG_LEVEL=DEBUG on a real `python -m bot run`: no token, no webhook secret, no whole message.

Everything the process prints (PTB's request and update dumps, our start-up lines, a failing
handler's error with its traceback) is captured and searched.
"""

from __future__ import annotations

import socket

import pytest

from tests.scenarios.test_run_http import TOKEN, Sandbox, stop, wait_for

pytestmark = pytest.mark.slow

NAME = "欧阳秘密"
QUESTION = "我家后厨冷库温度降不下来，隔壁王记的健康证也过期了，这种情况要怎么处理才合规呢"


async def test_debug_logs_of_a_polling_start_and_a_failing_handler(sandbox: Sandbox) -> None:
    user = sandbox.emu.user(81001, NAME)
    # Every send to this chat is refused (not a hiccup the inbox would retry): the handler
    # raises, the apology fails too.
    refused = "Bad Request: can't parse entities"
    sandbox.emu.inject_failure("sendMessage", 400, refused, times=10, chat_id=81001)
    process = sandbox.start_bot(LOG_LEVEL="DEBUG")
    user.send(QUESTION)
    await wait_for(lambda: sandbox.emu.stats.errors[400] >= 2, timeout=90)
    code, out = await stop(process)
    assert code == 0, out
    assert "Exception while handling update" in out
    assert "in handlers." in out  # the failing handler is named
    assert "Calling Bot API endpoint" in out  # DEBUG really was on
    for private in (TOKEN, TOKEN.split(":")[1], QUESTION, QUESTION[:21], NAME):
        assert private not in out, private


async def test_debug_logs_of_a_webhook_start_hold_no_secret(sandbox: Sandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        hook_port = probe.getsockname()[1]
    secret = "sandbox_secret_for_logs_42"
    process = sandbox.start_bot(
        "--webhook",
        LOG_LEVEL="DEBUG",
        WEBHOOK_URL=f"http://127.0.0.1:{hook_port}/hook",
        WEBHOOK_SECRET=secret,
        WEBHOOK_PORT=str(hook_port),
        WEBHOOK_LISTEN="127.0.0.1",
    )
    await wait_for(lambda: sandbox.emu.webhook.url, timeout=90)
    sandbox.emu.user(81002, NAME).send(QUESTION)
    await wait_for(lambda: sandbox.emu.messages(81002), timeout=60)
    code, out = await stop(process)
    assert code == 0, out
    assert "Webhook stored update 1" in out
    for private in (TOKEN, secret, QUESTION, QUESTION[:21], NAME):
        assert private not in out, private
