"""python -m bot chat, driven through its stdin like a person at a terminal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

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
    assert "（上一条消息的按钮已收起）" in out  # the edit is shown as an update
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
