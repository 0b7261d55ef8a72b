"""python -m bot chat: talk to the real bot offline, through the in-process sandbox.

You type as a user; the bot's messages print with their buttons numbered, and typing a number
presses that button. `/as <id>` switches user (an id from ADMIN_USER_IDS shows staff features).
Edits show as updates; photos and documents are saved under data/chat_files/.
"""

from __future__ import annotations

import asyncio
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
    "输入按钮前的数字即按下该按钮；/as 用户ID 切换用户；/whoami 当前用户；/quit 退出。"
)


@dataclass
class ChatClient:
    """Prints what the bot sends to the current user's chat and turns input into actions."""

    driver: Driver
    user_id: int
    out: TextIO = sys.stdout
    buttons: dict[int, tuple[StoredMessage, tuple[int, int]]] = field(default_factory=dict)
    seen: dict[tuple[int, int], int] = field(default_factory=dict)

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
        """Print new and edited bot messages in the current chat; returns how many."""
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

    def _render(self, message: StoredMessage, *, edited: bool) -> None:
        if edited and message.history and message.history[-1].text == message.text:
            self._print(
                "（上一条消息的按钮已更新）"
                if message.inline_keyboard
                else "（上一条消息的按钮已收起）"
            )
            if not message.inline_keyboard:
                return
        else:
            self._print("─" * 40)
            self._print("食安助手" + ("（消息已更新）" if edited else "") + "：")
            body = message.text if message.text is not None else (message.caption or "")
            if body:
                self._print(body)
            if (message.reply_markup or {}).get("force_reply"):
                self._print("（请直接输入回复）")
        saved = self._save_media(message)
        if saved:
            self._print(saved)
        if message.poll_id:
            poll = self.driver.emulator.polls[message.poll_id]
            self._print(f"［投票］{poll.question}")
        for row_index, row in enumerate(message.inline_keyboard):
            cells = []
            for col_index, button in enumerate(row):
                number = len(self.buttons) + 1
                self.buttons[number] = (message, (row_index, col_index))
                cells.append(f"[{number}] {button.get('text')}")
            self._print("   ".join(cells))

    def _force_reply_target(self) -> int | None:
        """Like a Telegram app: after a ForceReply prompt, what you type answers it."""
        mine = self.driver.emulator.messages(self.user_id)
        last = mine[-1] if mine else None
        if last is not None and (last.reply_markup or {}).get("force_reply"):
            return last.message_id
        return None

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return False
        if not line:
            return True
        if line.startswith("/as"):
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("-").isdigit():
                self.user_id = int(parts[1])
                self.buttons.clear()
                self._print(f"已切换为用户 {self.user_id}")
                self.show_updates()
            else:
                self._print("用法：/as 用户ID")
            return True
        if line == "/whoami":
            self._print(f"当前用户 {self.user_id}")
            return True
        if line.isdigit() and int(line) in self.buttons:
            message, position = self.buttons[int(line)]
            self.buttons.clear()
            await self.driver.press(self.user_id, message, position)
        else:
            self.buttons.clear()
            await self.driver.send(self.user_id, line, reply_to=self._force_reply_target())
        self.show_updates()
        return True


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
