"""The redacting filter: secrets masked in messages and tracebacks, payloads cut at DEBUG."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import MASK, install_redaction, preview

TOKEN = "123456789:" + "Z" * 35
SECRET = "hook_secret_987"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """Everything the root logger writes at DEBUG, through a handler with the filter on."""
    stream = io.StringIO()
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_redaction([TOKEN, SECRET])
    yield stream
    root.removeHandler(handler)


def test_secrets_are_masked_in_messages_arguments_and_tracebacks(output: io.StringIO) -> None:
    log = logging.getLogger("bot.anything")
    log.info("url https://api.telegram.org/bot%s/getMe", TOKEN)
    log.warning(f"secret {SECRET} in the message itself")
    try:
        raise RuntimeError(f"failed calling /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("request failed")
    text = output.getvalue()
    assert TOKEN not in text and SECRET not in text
    assert text.count(MASK) == 3
    assert "RuntimeError: failed calling /bot[redacted]/sendMessage" in text


def test_telegram_payloads_at_debug_are_cut_to_a_preview(output: io.StringIO) -> None:
    message = "我家后厨的冷库温度一直降不下来，张三的健康证也过期了，怎么办"
    logging.getLogger("telegram.Bot").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage", {"text": message}
    )
    logging.getLogger("telegram.ext.Updater").warning("Network error: %s", message)
    text = output.getvalue()
    assert "with parameters `{'text': '我家后厨的冷库温度一…(42)`" in text
    assert text.count(message) == 1  # only the warning, which is not a payload dump


def test_preview_keeps_short_texts_and_cuts_long_ones() -> None:
    assert preview(None) == ""
    assert preview("健康证") == "健康证"
    assert preview("一" * 30) == "一" * 20 + "…(30)"
