"""python -m bot ask | kb | calendar, run as operators script them: a subprocess per command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SETTING_NAMES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
CONTRACT = {"answered", "answer", "citations", "entry_id", "score", "suggestions"}


def bot(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` from the project root against a scratch SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    # Explicit values beat a developer's .env in the project root.
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TIMEZONE": "Asia/Shanghai",
        "TIP_DAYS_BEFORE": "3",
        "TIP_PUSH_TIME": "10:00",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def assert_contract(payload: dict[str, object]) -> None:
    assert set(payload) == CONTRACT
    assert isinstance(payload["answered"], bool)
    assert isinstance(payload["answer"], str)
    assert isinstance(payload["score"], float)
    assert payload["entry_id"] is None or isinstance(payload["entry_id"], str)
    citations, suggestions = payload["citations"], payload["suggestions"]
    assert isinstance(citations, list) and isinstance(suggestions, list)
    for c in citations:
        assert set(c) == {"source", "article"}
        assert isinstance(c["source"], str) and type(c["article"]) is int
    for s in suggestions:
        assert set(s) == {"entry_id", "question"}
        assert isinstance(s["entry_id"], str) and isinstance(s["question"], str)
    assert payload["answered"] == (payload["entry_id"] is not None) == bool(payload["answer"])


def test_ask_json_prints_exactly_the_contract(tmp_path: Path) -> None:
    done = bot(tmp_path, "ask", "--json", "健康证多久办一回")
    assert (done.returncode, done.stderr) == (0, "")
    [line] = done.stdout.splitlines()
    payload = json.loads(line)
    assert_contract(payload)
    assert (payload["answered"], payload["entry_id"], payload["suggestions"]) == (
        True,
        "a-health-cert-yearly",
        [],
    )
    assert payload["citations"][:2] == [
        {"source": "中华人民共和国食品安全法", "article": 45},
        {"source": "山东省食品安全条例", "article": 15},
    ]
    assert "每年" in payload["answer"]
    assert 0.71 <= payload["score"] <= 1.0


def test_ask_dash_reads_stdin_and_writes_one_json_line_per_question(tmp_path: Path) -> None:
    questions = "健康证多久办一回\n\n今天天气怎么样\n   \n外卖要贴那个封条吗\n地沟油判几年\n"
    done = bot(tmp_path, "ask", "-", "--json", stdin=questions)
    assert (done.returncode, done.stderr) == (0, "")
    payloads = [json.loads(line) for line in done.stdout.splitlines()]
    for payload in payloads:
        assert_contract(payload)
    assert [(p["answered"], p["entry_id"]) for p in payloads] == [
        (True, "a-health-cert-yearly"),
        (False, None),
        (True, "a-online-seal"),
        (False, None),
    ]
    out_of_scope, unsure = payloads[1], payloads[3]
    assert out_of_scope == {
        "answered": False,
        "answer": "",
        "citations": [],
        "entry_id": None,
        "score": 0.0,
        "suggestions": [],
    }
    assert unsure["suggestions"][0]["entry_id"] == "b-toxic-waste-oil-penalty"
    assert len(unsure["suggestions"]) == 3


def test_ask_text_mode_with_a_business_type(tmp_path: Path) -> None:
    done = bot(
        tmp_path, "ask", "-", "--business-type", "catering", stdin="健康证多久办一回\n帮我写首诗\n"
    )
    assert (done.returncode, done.stderr) == (0, "")
    answered, declined = done.stdout.split("\n\n", 1)
    assert answered.startswith(
        "问：健康证多久办一回\n匹配：接触直接入口食品的员工多久做一次健康检查？没有健康证能先上岗吗？\n"
        "答：凡是干接触直接入口食品活的人"
    )
    assert answered.endswith(
        "\n依据：《中华人民共和国食品安全法》第四十五条；《山东省食品安全条例》第十五条；"
        "《山东省食品小作坊小餐饮和食品摊点管理条例》第十一条"
    )
    assert declined == "问：帮我写首诗\n没有找到答案。\n\n"


def test_an_unknown_business_type_exits_2(tmp_path: Path) -> None:
    done = bot(tmp_path, "ask", "--json", "--business-type", "bakery", "健康证多久办一回")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "未知经营类型：bakery。可选：catering（餐饮服务）、retail（食品销售）、production（食品生产）、"
        "small（小作坊/小餐饮/摊点）、canteen（集中用餐单位食堂）、online（网络餐饮）、"
        "consumer（消费者/市民）、other（其他）\n"
    )


@pytest.mark.parametrize("given", ["small", "小作坊", "小作坊/小餐饮/摊点", "摊点", "SMALL"])
def test_a_business_type_may_be_given_in_chinese(tmp_path: Path, given: str) -> None:
    done = bot(tmp_path, "ask", "--json", "--business-type", given, "健康证多久办一回")
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["entry_id"] == "a-health-cert-yearly"


def test_two_questions_in_one_message_are_both_answered(tmp_path: Path) -> None:
    done = bot(tmp_path, "ask", "健康证多久办一次？外卖要贴封签吗？")
    assert (done.returncode, done.stderr) == (0, "")
    heads = [line.split("：")[0] for line in done.stdout.splitlines()]
    assert heads == ["问", "匹配", "答", "依据", "匹配", "答", "依据", ""]


def test_kb_import_check_and_stats(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"legal corpus not found at {CORPUS}: it lives in ../shared/corpus")
    files = sorted(str(p) for p in CORPUS.glob("*.md"))
    imported = bot(tmp_path, "kb", "import", *files)
    # README.md is not a statute: it is skipped with a note, and the statutes import cleanly.
    assert imported.returncode == 0
    assert imported.stderr == (
        f"{CORPUS / 'README.md'}: 已跳过：README.md：不是法规文本（没有标题头，也没有“第X条”）\n"
    )
    lines = imported.stdout.splitlines()
    assert len(lines) == len(files) - 1
    assert "已导入《山东省食品安全条例》2024-03-01施行版：73 条" in lines
    assert "已导入《中华人民共和国食品安全法》2025-12-01施行版：154 条" in lines

    checked = bot(tmp_path, "kb", "check")
    assert (checked.returncode, checked.stderr) == (0, "")
    verified = re.fullmatch(
        r"知识库检查通过：(\d+) 个问答条目，(\d+) 道题，5 个行业的风险管控清单模板；"
        r"(\d+)/(\d+) 条引用已对照导入的原文核实\n",
        checked.stdout,
    )
    assert verified is not None
    assert verified.group(3) == verified.group(4)
    assert int(verified.group(3)) > 1000

    stats = bot(tmp_path, "kb", "stats", "--json")
    assert (stats.returncode, stats.stderr) == (0, "")
    figures = json.loads(stats.stdout)
    assert figures["entries"] >= 200
    assert figures["quiz_questions"] >= 300
    assert figures["entries"] == int(verified.group(1))
    assert figures["quiz_questions"] == int(verified.group(2))
    assert figures["paraphrases"] >= 4 * figures["entries"]
    assert figures["tips"] == 13
    assert set(figures["quiz_by_type"]) == {"single", "multiple", "judge"}
    assert all(n > 0 for n in figures["quiz_by_sector"].values())
    assert len(figures["statutes"]) == len(files) - 1
    assert set(figures["checklists"]) == {"production", "retail", "catering", "canteen", "special"}
    assert all(n >= 8 for n in figures["checklists"].values())
    order_60 = {
        "source": "samr-60",
        "title": "企业落实食品安全主体责任监督管理规定",
        "version": "2022-11-01施行版",
        "articles": 22,
    }
    assert order_60 in figures["statutes"]


def test_kb_stats_without_json_prints_chinese_lines(tmp_path: Path) -> None:
    done = bot(tmp_path, "kb", "stats")
    assert (done.returncode, done.stderr) == (0, "")
    figures = json.loads(bot(tmp_path, "kb", "stats", "--json").stdout)
    n = figures["quiz_by_type"]
    expected = (
        f"抽考题库：{figures['quiz_questions']} 道"
        f"（单选题 {n['single']}、多选题 {n['multiple']}、判断题 {n['judge']}）"
    )
    assert expected in done.stdout.splitlines()
    assert not any(ch in done.stdout for ch in "{}'")  # no Python dict


# What a command must not load: a staff script's `ask` and a packaging step's `kb build` stay
# quick and small (bench/startup.py measures them).
HEAVY = ("telegram", "sqlalchemy", "sqlmodel", "pydantic", "openpyxl", "matplotlib", "jieba")
IMPORTED = (
    "import json, sys\n"
    "from bot.cli import main\n"
    "code = main(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)


def run_listing(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the CLI in a fresh interpreter; its result and the top-level packages it imported."""
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED, str(listing), *argv],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in SETTING_NAMES},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done, {name.split(".")[0] for name in json.loads(listing.read_text())}


def test_ask_imports_only_what_it_needs(tmp_path: Path) -> None:
    _, loaded = run_listing(tmp_path, "ask", "--json", "健康证多久办一次")
    assert sorted(loaded & {*HEAVY, "pypinyin"}) == []


def test_kb_build_writes_the_index_once_per_knowledge_base_version(tmp_path: Path) -> None:
    from knowledge.store import data_key, read_key

    out = tmp_path / "index.npz"
    # One full build (the slow part) also checks what the packaging step imports.
    built, loaded = run_listing(tmp_path, "kb", "build", "--out", str(out))
    assert sorted(loaded & {*HEAVY, "pypinyin"}) == []
    assert built.stderr == ""
    assert re.fullmatch(
        rf"已写入 {re.escape(str(out))}：\d+ 个条目，[\d.]+ MB，key \w{{12}}，用时 [\d.]+ 秒\n",
        built.stdout,
    )
    assert read_key(out) == data_key()
    written = out.stat().st_mtime_ns
    again = bot(tmp_path, "kb", "build", "--out", str(out))
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout == f"索引已是最新：{out}（key {data_key()[:12]}）\n"
    assert out.stat().st_mtime_ns == written


def test_calendar_json_gives_festival_days_and_push_times(tmp_path: Path) -> None:
    done = bot(tmp_path, "calendar", "2026", "--json")
    assert (done.returncode, done.stderr) == (0, "")
    rows = json.loads(done.stdout)
    by_name = {row["occasion"]: row for row in rows}
    spring = by_name["春节"]
    assert (spring["date"], spring["push_at"]) == ("2026-02-17", "2026-02-14T10:00:00+08:00")
    assert by_name["国庆节"]["date"] == "2026-10-01"
    assert all(row["push_at"].endswith("T10:00:00+08:00") for row in rows)
    assert [row["date"] for row in rows] == sorted(row["date"] for row in rows)
