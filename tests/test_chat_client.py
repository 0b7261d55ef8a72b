"""python -m bot chat, driven through its stdin like a person at a terminal."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.chat_client import ChatClient
from bot.models import Vote
from bot.sandbox.driver import Driver
from tests.campaign_support import POLL_YAML, Clock, create_open
from tests.conftest import ADMIN

ROOT = Path(__file__).resolve().parents[1]


def chat(tmp_path: Path, lines: list[str], **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM")}
    environment.update(DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}", **env)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=tmp_path,
        env=environment | {"PYTHONPATH": str(ROOT)},
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_greets_asks_business_type_and_shows_the_menu(tmp_path: Path) -> None:
    out = chat(tmp_path, ["1", "/menu", "/quit"])
    assert "离线对话模式" in out
    assert "您好！我是食安助手" in out
    assert "[1] 餐饮服务   [2] 食品销售" in out
    assert "已记下：您的经营类型是餐饮服务" in out
    assert "（第 1 条消息的按钮已收起）" in out  # the edit is shown as an update
    assert "主菜单（经营类型：餐饮服务）" in out
    assert "[1] ❓ 政策问答   [2] 📚 按主题浏览" in out
    assert out.rstrip().endswith("再见！")


def test_questions_buttons_and_switching_to_an_admin(tmp_path: Path) -> None:
    out = chat(
        tmp_path,
        ["健康证多久办一回", "3", "1", "/as 900001", "/pending", "/whoami"],
        ADMIN_USER_IDS="900001",
    )
    assert "依据：《中华人民共和国食品安全法》第四十五条" in out
    assert "抱歉没帮上忙" in out
    assert "已把您的问题留给工作人员（编号 #1）" in out
    assert "已切换为用户 900001" in out
    assert "待回复的留言" in out
    assert "当前用户 900001" in out
    assert out.rstrip().endswith("再见！")  # end of input closes the client cleanly


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_console_is_served_beside_the_chat_with_a_sign_in_link(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_free_port()}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM")}
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}", CONSOLE_URL=base, ADMIN_USER_IDS=""
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        cwd=tmp_path,
        env=environment | {"PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        lines = []
        for line in process.stdout:  # readiness: the link is printed once the console listens
            lines.append(line)
            if line.startswith(f"{base}/login/"):
                break
        url = lines[-1].strip()
        assert "监管工作台已启动" in "".join(lines) and "管理员 10000" in "".join(lines)
        with httpx.Client(follow_redirects=True) as browser:
            assert "登录监管工作台" in browser.get(url).text
            signed_in = browser.post(url)
            assert signed_in.status_code == 200 and "本周提问" in signed_in.text
        out, _ = process.communicate("/as 10000\n/console\n/quit\n", timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert f"{base}/login/" in out  # /console works for the sandbox admin too


# --- in process: the client on the test driver ------------------------------------------------


def client_for(driver: Driver, user_id: int) -> tuple[ChatClient, io.StringIO]:
    out = io.StringIO()
    return ChatClient(driver, user_id, out=out), out


def printed_since(out: io.StringIO, mark: int) -> str:
    return out.getvalue()[mark:]


async def test_link_buttons_answers_old_buttons_and_text_links(driver: Driver) -> None:
    Clock(driver)
    cid = await create_open(driver)
    client, out = client_for(driver, ADMIN)
    client.show_updates()
    await client.handle(f"/campaign_card {cid}")
    card = max(client.numbers)
    assert "[1] 🗳 去投票🔗" in out.getvalue()
    # A link to this bot with ?start= is followed as a deep link: the ballot opens.
    mark = len(out.getvalue())
    await client.handle("1")
    shown = printed_since(out, mark)
    assert (
        f"（打开链接 https://t.me/shian_test_bot?start=vote_{cid}，即发送 /start vote_{cid}）"
        in (shown)
    )
    assert "第 1/3 题　食品品种" in shown
    ballot_number = max(client.numbers)
    # Toasts and alerts are printed; a button of an older message can still be pressed.
    await client.handle("1")  # 猪肉 on the ballot
    await client.handle(f"{card}.1")  # the card again: still a link, still followed
    mark = len(out.getvalue())
    await client.handle(f"{ballot_number}.{ballot_submit(client, ballot_number)}")
    assert "［弹窗］“抽样场所”还没有选，请每题至少选一项" in printed_since(out, mark)
    # Text links show their address.
    mark = len(out.getvalue())
    await client.handle(f"/campaign_announce {cid}")
    assert f"［链接］点这里参加投票 → https://t.me/shian_test_bot?start=vote_{cid}" in (
        printed_since(out, mark)
    )


def ballot_submit(client: ChatClient, number: int) -> int:
    """The position of 📮 提交 on a printed ballot."""
    chat_id, message_id = client.numbers[number]
    message = client.driver.emulator.message(chat_id, message_id)
    flat = [b["text"] for row in message.inline_keyboard for b in row]
    return flat.index("📮 提交") + 1


async def test_native_polls_are_shown_and_answered(driver: Driver, engine: Engine) -> None:
    Clock(driver)
    cid = await create_open(driver, POLL_YAML)
    client, out = client_for(driver, ADMIN)
    await client.handle(f"/campaign_poll {cid}")
    assert "［投票］中秋月饼抽检：您最想抽检哪种月饼？（进行中）" in out.getvalue()
    assert "[2] 豆沙" in out.getvalue()
    await client.handle("2")
    assert "（已投票：第 " in out.getvalue()
    with Session(engine) as session:
        [vote] = session.exec(select(Vote)).all()
    assert (vote.user_id, vote.source) == (ADMIN, "poll")


async def test_ask_is_passed_to_the_bot_and_as_still_switches(driver: Driver) -> None:
    client, out = client_for(driver, 10001)
    await client.handle("/ask 健康证多久办一次")
    assert "健康证" in out.getvalue() and "用法：/as" not in out.getvalue()
    await client.handle("/as 10002")
    assert "已切换为用户 10002" in out.getvalue()
