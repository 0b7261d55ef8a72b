"""python -m bot chat: talk to the real bot offline, through the in-process sandbox.

You type as a user; each bot message prints with a number and its buttons numbered. Typing a
number presses that button of the latest message with buttons; `2.1` presses button 1 of
message 2, however old. A poll's options are its buttons (`2.1,3` picks several). A link
button to this bot (t.me/<bot>?start=X) is followed as a deep link; other links are printed.
Every answer to a pressed button (toast or alert) is printed. `/as <id>` switches user (an id
from ADMIN_USER_IDS shows staff features). Photos and documents are saved under
data/chat_files/.
"""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.sandbox.driver import Driver
from bot.sandbox.limits import Limits
from bot.sandbox.state import StoredMessage

__all__ = ["ChatClient", "run_chat"]

FILES_DIR = Path("data/chat_files")
HELP = (
    "离线对话模式（不连接 Telegram）。直接输入文字与食安助手对话；\n"
    "输入按钮前的数字即按下最新一条带按钮消息的按钮，“2.1”按下第 2 条消息的第 1 个按钮；\n"
    "/as 用户ID 切换用户；/whoami 当前用户；/quit 退出。"
)
_PRESS = re.compile(r"^(?:(\d+)\.)?(\d+(?:,\d+)*)$")


@dataclass
class ChatClient:
    """Prints what the bot sends to the current user's chat and turns input into actions."""

    driver: Driver
    user_id: int
    out: TextIO = sys.stdout
    # Message numbers as printed: number -> (chat, message id), and back.
    numbers: dict[int, tuple[int, int]] = field(default_factory=dict)
    numbered: dict[tuple[int, int], int] = field(default_factory=dict)
    latest_with_buttons: int | None = None
    seen: dict[tuple[int, int], int] = field(default_factory=dict)
    answers_seen: int = 0

    def _print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _save_media(self, message: StoredMessage) -> str | None:
        media = message.media
        item: dict[str, Any] | None = None
        kind = ""
        if "photo" in media:
            item, kind = media["photo"][-1], "图片"
        elif "document" in media:
            item, kind = media["document"], "文件"
        if item is None:
            return None
        FILES_DIR.mkdir(parents=True, exist_ok=True)
        name = item.get("file_name") or f"{item['file_unique_id']}.png"
        path = FILES_DIR / f"{message.chat_id}_{message.message_id}_{name}"
        path.write_bytes(self.driver.emulator.file_bytes(item["file_id"]))
        return f"［{kind}］已保存到 {path}"

    def show_updates(self) -> int:
        """Print button answers, then new and edited bot messages here; returns how many."""
        self._show_answers()
        shown = 0
        for message in self.driver.emulator.messages(self.user_id):
            if not message.from_bot:
                continue
            version = len(message.history)
            key = (message.chat_id, message.message_id)
            if self.seen.get(key) == version:
                continue
            edited = key in self.seen
            self.seen[key] = version
            self._render(message, edited=edited)
            shown += 1
        return shown

    def _show_answers(self) -> None:
        """The bot's answer to a pressed button: a toast or an alert the user would see."""
        answers = self.driver.emulator.callback_answers
        for answer in answers[self.answers_seen :]:
            if answer.user_id == self.user_id and answer.text:
                self._print(("［弹窗］" if answer.show_alert else "［提示］") + answer.text)
        self.answers_seen = len(answers)

    def _number(self, message: StoredMessage) -> int:
        key = (message.chat_id, message.message_id)
        if key not in self.numbered:
            self.numbered[key] = len(self.numbers) + 1
            self.numbers[self.numbered[key]] = key
        return self.numbered[key]

    def _render(self, message: StoredMessage, *, edited: bool) -> None:
        number = self._number(message)
        if edited and message.history and message.history[-1].text == message.text:
            self._print(
                f"（第 {number} 条消息的按钮已更新）"
                if message.inline_keyboard
                else f"（第 {number} 条消息的按钮已收起）"
            )
            if not message.inline_keyboard:
                return
        else:
            self._print("─" * 40)
            self._print(f"#{number} 食安助手" + ("（消息已更新）" if edited else "") + "：")
            body = message.text if message.text is not None else (message.caption or "")
            if body:
                self._print(body)
            for link in _text_links(message):
                self._print(link)
            if (message.reply_markup or {}).get("force_reply"):
                self._print("（请直接输入回复）")
        saved = self._save_media(message)
        if saved:
            self._print(saved)
        labels = self._choices(message)
        if labels:
            self.latest_with_buttons = number
        for row in labels:
            self._print("   ".join(f"[{i}] {text}" for i, text in row))

    def _choices(self, message: StoredMessage) -> list[list[tuple[int, str]]]:
        """Rows of (number within the message, label): a poll's options, or the buttons."""
        if message.poll_id:
            poll = self.driver.emulator.polls[message.poll_id]
            many = "，可多选，如 N.1,3" if poll.allows_multiple_answers else ""
            self._print(
                f"［投票］{poll.question}（{'已结束' if poll.is_closed else '进行中'}{many}）"
            )
            return [[(i + 1, o.text)] for i, o in enumerate(poll.options)]
        rows: list[list[tuple[int, str]]] = []
        count = 0
        for row in message.inline_keyboard:
            cells = []
            for button in row:
                count += 1
                mark = "🔗" if "url" in button else ""
                cells.append((count, f"{button.get('text')}{mark}"))
            rows.append(cells)
        return rows

    def _force_reply_target(self) -> int | None:
        """Like a Telegram app: after a ForceReply prompt, what you type answers it."""
        mine = self.driver.emulator.messages(self.user_id)
        last = mine[-1] if mine else None
        if last is not None and (last.reply_markup or {}).get("force_reply"):
            return last.message_id
        return None

    async def _press(self, number: int, picks: list[int]) -> None:
        """Press button picks[0] of message `number` (or vote picks in its poll)."""
        chat_id, message_id = self.numbers[number]
        message = self.driver.emulator.message(chat_id, message_id)
        if message.poll_id:
            self.driver.user(self.user_id).vote(message.poll_id, [p - 1 for p in picks])
            await self.driver.settle()
            self._print(f"（已投票：第 {number} 条消息的选项 {'、'.join(map(str, picks))}）")
            return
        flat = [
            ((r, c), button)
            for r, row in enumerate(message.inline_keyboard)
            for c, button in enumerate(row)
        ]
        if len(picks) != 1 or not 1 <= picks[0] <= len(flat):
            self._print(f"第 {number} 条消息没有按钮 {','.join(map(str, picks))}")
            return
        position, button = flat[picks[0] - 1]
        if "callback_data" in button:
            await self.driver.press(self.user_id, message, position, chat_id=chat_id)
        elif "url" in button:
            await self._open_url(str(button["url"]))
        else:
            self._print("这个按钮在离线模式中不能使用。")

    async def _open_url(self, url: str) -> None:
        """A link to this bot with ?start= is a deep link; any other address is printed."""
        bot = re.escape(self.driver.emulator.bot.username or "")
        deep = re.fullmatch(rf"https?://t\.me/{bot}\?start=([\w-]+)", url, re.IGNORECASE)
        if deep is None:
            self._print(f"（这个按钮打开网址：{url}）")
            return
        self._print(f"（打开链接 {url}，即发送 /start {deep.group(1)}）")
        await self.driver.send(self.user_id, f"/start {deep.group(1)}")

    async def _switch(self, line: str) -> None:
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            self.user_id = int(parts[1])
            self.latest_with_buttons = None
            self._print(f"已切换为用户 {self.user_id}")
            self.show_updates()
        else:
            self._print("用法：/as 用户ID")

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return False
        if not line:
            return True
        if line.split()[0] == "/as":  # not /ask: that one is the bot's
            await self._switch(line)
            return True
        if line == "/whoami":
            self._print(f"当前用户 {self.user_id}")
            return True
        press = _PRESS.match(line)
        number = int(press.group(1)) if press and press.group(1) else self.latest_with_buttons
        if press and number is not None and number in self.numbers:
            picks = [int(p) for p in press.group(2).split(",")]
            await self._press(number, picks)
        else:
            await self.driver.send(self.user_id, line, reply_to=self._force_reply_target())
        self.show_updates()
        return True


def _text_links(message: StoredMessage) -> list[str]:
    """Links hidden behind words (text_link entities): "链接：words → address"."""
    text = message.text if message.text is not None else (message.caption or "")
    encoded = text.encode("utf-16-le")
    links = []
    for entity in message.entities:
        if entity.get("type") == "text_link":
            start, length = 2 * int(entity["offset"]), 2 * int(entity["length"])
            words = encoded[start : start + length].decode("utf-16-le")
            links.append(f"［链接］{words} → {entity['url']}")
    return links


async def _chat(settings: Settings, user_id: int, stdin: TextIO, out: TextIO) -> int:
    from bot.console.offline import offline_settings, start_offline_console

    settings = offline_settings(settings)
    # Flood limits stay on, as in production, with the short bursts one person produces.
    driver = Driver(settings, limits=Limits(private_burst=10))
    await driver.start()
    client = ChatClient(driver, user_id, out=out)
    client._print(HELP)
    console = await start_offline_console(settings, driver.application.bot_data.engine)
    client._print(console if isinstance(console, str) else console.banner())
    try:
        await client.handle("/start")
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, stdin.readline)
            if line == "":
                break
            if not await client.handle(line):
                break
            # Background work (broadcasts, replies to other users) may add messages later.
            await asyncio.sleep(0)
            client.show_updates()
    finally:
        if not isinstance(console, str):
            await console.stop()
        await driver.stop()
    client._print("再见！")
    return 0


def run_chat(settings: Settings, *, user_id: int = 10001) -> int:
    """Run the terminal client until /quit or end of input."""
    return asyncio.run(_chat(settings, user_id, sys.stdin, sys.stdout))
