"""python -m bot chat, driven through its stdin like a person at a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
