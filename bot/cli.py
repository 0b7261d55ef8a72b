"""The argument parser and the small commands; long-running ones live in their own modules."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings, SettingsError
from knowledge.yamlfile import DataError

__all__ = ["main"]


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        raise SettingsError("配置有误：\n" + "\n".join(lines)) from exc


def _logging(settings: Settings | None = None, *, quiet: bool = False) -> None:
    level = "WARNING" if quiet else (settings.log_level if settings else "INFO")
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# --- ask ----------------------------------------------------------------------------------


def _ask_payload(result: object) -> dict[str, object]:
    from knowledge.search import Outcome, SearchResult

    assert isinstance(result, SearchResult)
    entry = result.answer
    return {
        "answered": result.outcome is Outcome.ANSWERED,
        "answer": entry.answer if entry else "",
        "citations": [{"source": c.statute.title, "article": c.article} for c in entry.citations]
        if entry
        else [],
        "entry_id": entry.id if entry else None,
        "score": round(result.score, 4),
        "suggestions": [
            {"entry_id": h.entry.id, "question": h.entry.question}
            for h in result.hits
            if result.outcome is not Outcome.ANSWERED
        ],
    }


def _ask_text(question: str, payload: dict[str, object]) -> str:
    from bot.render import chinese_number

    if payload["answered"]:
        cites = "；".join(
            f"《{c['source']}》第{chinese_number(int(c['article']))}条"
            for c in payload["citations"]  # type: ignore[attr-defined]
        )
        return f"问：{question}\n答：{payload['answer']}\n依据：{cites}\n"
    suggestions = payload["suggestions"]
    if suggestions:
        lines = "\n".join(f"  - {s['question']}" for s in suggestions)  # type: ignore[attr-defined]
        return f"问：{question}\n没有把握，您是不是想问：\n{lines}\n"
    return f"问：{question}\n没有找到答案。\n"


def cmd_ask(args: argparse.Namespace) -> int:
    """One question (or one per stdin line) through the bot's pipeline."""
    from knowledge.loader import load_entries
    from knowledge.search import KnowledgeIndex
    from knowledge.vocab import business_types

    if args.business_type and args.business_type not in business_types():
        print(
            f"未知经营类型：{args.business_type}，可选：{', '.join(business_types())}",
            file=sys.stderr,
        )
        return 2
    index = KnowledgeIndex(load_entries())
    questions = sys.stdin if args.question == "-" else [args.question]
    for raw in questions:
        question = raw.strip()
        if args.question == "-" and not question:
            continue
        payload = _ask_payload(index.search(question, business_type=args.business_type))
        if args.json:
            print(json.dumps(payload, ensure_ascii=False), flush=True)
        else:
            print(_ask_text(question, payload), flush=True)
    return 0


# --- kb -----------------------------------------------------------------------------------


def cmd_kb(args: argparse.Namespace) -> int:
    """kb check | stats | import."""
    from bot.guidance import cli as kbtools

    settings = _settings()
    if args.kb_command == "check":
        return kbtools.check(settings)
    if args.kb_command == "stats":
        return kbtools.stats(settings, as_json=args.json)
    return kbtools.import_files(settings, [Path(p) for p in args.files])


# --- run / chat / sandbox -------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """The bot itself: long polling, or webhook with a secret token."""
    from bot.runner import run

    settings = _settings()
    _logging(settings)
    return run(settings, webhook=args.webhook)


def cmd_chat(args: argparse.Namespace) -> int:
    """Talk to the bot offline through the in-process sandbox."""
    from bot.chat_client import run_chat

    settings = _settings()
    _logging(settings, quiet=True)
    return run_chat(settings, user_id=args.user)


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve the Bot API emulator over HTTP on 127.0.0.1."""
    from bot.sandbox import run_server

    _logging()
    run_server(args.port, args.token)
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    """The occasions of a year and when each tip is pushed."""
    from scheduler.calendar_cli import print_calendar

    return print_calendar(_settings(), args.year, as_json=args.json)


def cmd_campaign(args: argparse.Namespace) -> int:
    """你点我检 campaigns from the command line."""
    from bot.campaigns.cli import run_campaign_command

    return run_campaign_command(_settings(), args)


def cmd_exam(args: argparse.Namespace) -> int:
    """抽考 records."""
    from bot.exams.cli import run_exam_command

    return run_exam_command(_settings(), args)


def cmd_records(args: argparse.Namespace) -> int:
    """日管控、周排查、月调度: export, coverage, import."""
    from bot.records.cli import run_records_command

    return run_records_command(_settings(), args)


def build_parser() -> argparse.ArgumentParser:
    """All subcommands of python -m bot."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="食安助手")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="运行机器人（默认长轮询）")
    run.add_argument(
        "--webhook", action="store_true", help="webhook 模式（需 WEBHOOK_URL/SECRET）"
    )
    run.set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="离线对话（无需令牌）")
    chat.add_argument("--user", type=int, default=10001, help="以哪个用户 ID 开始")
    chat.set_defaults(func=cmd_chat)

    ask = sub.add_parser("ask", help="问一个问题；- 表示从标准输入逐行读取")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--business-type", default=None)
    ask.set_defaults(func=cmd_ask)

    kb = sub.add_parser("kb", help="知识库：check / stats / import")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("check")
    stats = kb_sub.add_parser("stats")
    stats.add_argument("--json", action="store_true")
    imp = kb_sub.add_parser("import")
    imp.add_argument("files", nargs="+")
    kb.set_defaults(func=cmd_kb)

    cal = sub.add_parser("calendar", help="某年的节日与推送时间")
    cal.add_argument("year", type=int)
    cal.add_argument("--json", action="store_true")
    cal.set_defaults(func=cmd_calendar)

    campaign = sub.add_parser("campaign", help="你点我检活动")
    csub = campaign.add_subparsers(dest="campaign_command", required=True)
    create = csub.add_parser("create")
    create.add_argument("file")
    csub.add_parser("list")
    export = csub.add_parser("export")
    export.add_argument("id", type=int)
    export.add_argument("--out", default="out")
    campaign.set_defaults(func=cmd_campaign)

    exam = sub.add_parser("exam", help="抽考记录")
    esub = exam.add_subparsers(dest="exam_command", required=True)
    eexp = esub.add_parser("export")
    eexp.add_argument("--out", default="out/exam_results.xlsx")
    eexp.add_argument("--filter", default="", help="与 /exam_results 相同的筛选词")
    esub.add_parser("import-bank", help="从 xlsx/CSV 导入官方题库").add_argument("file")
    exam.set_defaults(func=cmd_exam)

    from bot.records.cli import add_parser as add_records_parser

    add_records_parser(sub).set_defaults(func=cmd_records)

    sandbox = sub.add_parser("sandbox", help="离线 Bot API 模拟器")
    ssub = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = ssub.add_parser("serve")
    serve.add_argument("--port", type=int, default=8081)
    serve.add_argument("--token", default=None)
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and dispatch; configuration problems print one clear line and exit 2."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except SettingsError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except DataError as exc:
        print("知识库文件有错误：\n" + "\n".join(exc.problems), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
