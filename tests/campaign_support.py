"""Shared pieces of the 你点我检 handler and journey tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.driver import Driver
from bot.sandbox.state import StoredMessage
from tests.conftest import ADMIN

T0 = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing

CAMPAIGN_YAML = """\
title: 春季你点我检
description: 请选出您最关心的食品和场所。
vote_rule: {rule}
results: {results}
suggestions: true
townships: [城关街道, 东城街道]
ballots:
  - title: 食品品种
    max_choices: 2
    options: [猪肉, 蔬菜, 水果, 鸡蛋]
  - title: 抽样场所
    options: [超市, 农贸市场, 网店]
"""

POLL_YAML = """\
title: 中秋月饼抽检
ballots:
  - title: 您最想抽检哪种月饼？
    options: [五仁, 豆沙, 蛋黄, 冰皮]
"""


class Clock:
    """The bot's notion of now (bot_data.clock); tests move it, nobody sleeps."""

    def __init__(self, driver: Driver, at: datetime = T0) -> None:
        self.at = at
        driver.application.bot_data.clock = self

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


async def upload(driver: Driver, text: str, name: str = "campaign.yaml") -> StoredMessage:
    """The admin sends a campaign file; returns the bot's answer."""
    first = len(driver.messages(ADMIN))
    driver.user(ADMIN).send_document(name, text.encode())
    await driver.settle()
    [answer] = driver.messages(ADMIN)[first:]
    return answer


async def create_open(driver: Driver, text: str | None = None) -> int:
    """Upload a campaign file and press 开始投票; returns the campaign id."""
    preview = await upload(driver, text or CAMPAIGN_YAML.format(rule="campaign", results="live"))
    campaign_id = int(preview.text.split("#")[1].split()[0])  # type: ignore[union-attr]
    [opened] = await driver.press(ADMIN, preview, "▶️ 开始投票")
    assert "已开始投票" in (opened.text or "")
    return campaign_id


async def ballot(driver: Driver, user: int, campaign_id: int) -> StoredMessage:
    """The user follows the deep link and gets the ballot."""
    [message] = await driver.send(user, f"/start vote_{campaign_id}")
    return message


def current(driver: Driver, message: StoredMessage) -> StoredMessage:
    """A message as it is now (after edits)."""
    return driver.emulator.message(message.chat_id, message.message_id)


async def tick(driver: Driver, user: int, message: StoredMessage, *labels: str) -> StoredMessage:
    """Press option buttons (by label, whatever page they are on) and return the ballot."""
    for text in labels:
        shown = current(driver, message)
        flat = [b for row in shown.buttons for b in row]
        while text not in flat and f"✅ {text}" not in flat:
            await driver.press(user, shown, "下一题 ➡️")
            shown = current(driver, message)
            flat = [b for row in shown.buttons for b in row]
        await driver.press(user, shown, text if text in flat else f"✅ {text}")
    return current(driver, message)


def receipt(message: StoredMessage) -> dict[str, list[str]]:
    """What a receipt says was recorded: {ballot: [options]}, plus 镇/街道."""
    assert message.text is not None and message.text.startswith("✅ 已记录您的投票")
    recorded: dict[str, list[str]] = {}
    for line in message.text.splitlines():
        if line.startswith("• "):
            name, _, value = line[2:].partition("：")
            recorded[name] = value.split("、")
    return recorded


async def finish_broadcasts(driver: Driver) -> None:
    """Wait for the broadcast engine's background sending to end."""
    tasks: dict[int, Any] = driver.application.bot_data.extras.get("broadcast_tasks", {})
    await asyncio.wait_for(asyncio.gather(*tasks.values()), timeout=30)
