"""The argument parser and the small commands; long-running ones live in their own modules."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.yamlfile import DataError

if TYPE_CHECKING:
    from bot.config import Settings
    from knowledge.answering import Reply
    from knowledge.loader import Entry

__all__ = ["main"]

# Each command imports what it needs when it runs: `ask` and `kb build` answer in well under a
# second because they never load pydantic, the ORM, telegram or the export libraries.


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.config import Settings, SettingsError

    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        raise SettingsError("配置有误：\n" + "\n".join(lines)) from exc


_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _NoTraceback(logging.Formatter):
    """Terminal lines without tracebacks: a failure ends with our Chinese message instead.

    `--debug` shows them, and LOG_FILE keeps them whatever the terminal shows.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record's line, its traceback left out."""
        if record.exc_info or record.exc_text or record.stack_info:
            plain = {**record.__dict__, "exc_info": None, "exc_text": None, "stack_info": None}
            record = logging.makeLogRecord(plain)
        return super().format(record)


def _logging(settings: Settings | None = None, *, quiet: bool = False, debug: bool = True) -> None:
    level = "WARNING" if quiet else (settings.log_level if settings else "INFO")
    terminal = logging.StreamHandler()
    terminal.setFormatter(logging.Formatter(_LOG_FORMAT) if debug else _NoTraceback(_LOG_FORMAT))
    handlers: list[logging.Handler] = [terminal]
    if settings is not None and settings.log_file:
        to_file = logging.FileHandler(settings.log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter(_LOG_FORMAT))
        handlers.append(to_file)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    for noisy in ("httpx", "httpcore", "apscheduler", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if settings is not None:
        from bot.logs import install_redaction

        install_redaction(settings.secrets())


# --- ask ----------------------------------------------------------------------------------


def _cites(entry: Entry) -> list[dict[str, object]]:
    return [{"source": c.statute.title, "article": c.article} for c in entry.citations]


def _ask_payload(reply: Reply) -> dict[str, object]:
    """The fixed JSON contract; with two questions in the message, it describes the first."""
    from knowledge.search import Outcome

    entry = reply.entry
    return {
        "answered": reply.outcome is Outcome.ANSWERED,
        "answer": entry.answer if entry else "",
        "citations": _cites(entry) if entry else [],
        "entry_id": entry.id if entry else None,
        "score": round(reply.confidence, 4),
        "suggestions": [
            {"entry_id": h.entry.id, "question": h.entry.question} for h in reply.suggestions
        ],
    }


def _ask_text(question: str, reply: Reply) -> str:
    from bot.render import chinese_number

    lines = [f"问：{question}"]
    for part in reply.answered:
        cites = "；".join(
            f"《{c.statute.title}》第{chinese_number(c.article)}条" for c in part.entry.citations
        )
        lines += [f"匹配：{part.entry.question}", f"答：{part.entry.answer}", f"依据：{cites}"]
    if reply.suggestions:
        which = f"“{reply.unanswered}”" if reply.answered else ""
        lines.append(f"{which}没有把握，您是不是想问：")
        lines += [f"  - {h.entry.question}" for h in reply.suggestions]
    elif not reply.answered:
        lines.append("没有找到答案。")
    elif reply.unanswered:
        lines.append(f"“{reply.unanswered}”没有找到答案。")
    return "\n".join(lines) + "\n"


def cmd_ask(args: argparse.Namespace) -> int:
    """One question (or one per stdin line) through the bot's pipeline."""
    from knowledge import answer, default_index
    from knowledge.vocab import business_type_key, business_types

    business = None
    if args.business_type:
        business = business_type_key(args.business_type)
        if business is None:
            choices = "、".join(f"{k}（{v}）" for k, v in business_types().items())
            print(f"未知经营类型：{args.business_type}。可选：{choices}", file=sys.stderr)
            return 2
    index = default_index()
    questions = sys.stdin if args.question == "-" else [args.question]
    for raw in questions:
        question = raw.strip()
        if args.question == "-" and not question:
            continue
        reply = answer(index, question, business_type=business)
        if args.json:
            print(json.dumps(_ask_payload(reply), ensure_ascii=False), flush=True)
        else:
            print(_ask_text(question, reply), flush=True)
    return 0


# --- kb -----------------------------------------------------------------------------------


def kb_build(*, force: bool = False, lexicon: bool = False, out: Path | None = None) -> int:
    """Write the files shipped in the package when stale: knowledge/lexicon.npz (a snapshot of
    jieba's and pypinyin's dictionaries; taken again only with --lexicon) and knowledge/index.npz
    (or the index to `out`).
    """
    from knowledge.lexicon import (
        PACKAGED_LEXICON,
        build_lexicon,
        lexicon_format_matches,
        load_lexicon,
        write_lexicon,
    )
    from knowledge.store import PACKAGED_INDEX, build_index, data_key, stale_reason, write_index

    if lexicon or not lexicon_format_matches(PACKAGED_LEXICON):
        started = time.perf_counter()
        write_lexicon(build_lexicon(), PACKAGED_LEXICON)
        load_lexicon.cache_clear()
        print(
            f"已写入 {_shown(PACKAGED_LEXICON)}：{load_lexicon().source}，"
            f"用时 {time.perf_counter() - started:.1f} 秒"
        )
    target = out or PACKAGED_INDEX
    key = data_key()
    reason = stale_reason(target, key)
    if reason is None and not force:
        print(f"索引已是最新：{_shown(target)}（key {key[:12]}）")
        return 0
    started = time.perf_counter()
    index = build_index()
    write_index(index, target, key)
    size = target.stat().st_size / 1e6
    print(
        f"已写入 {_shown(target)}：{len(index.entries)} 个条目，{size:.1f} MB，"
        f"key {key[:12]}，用时 {time.perf_counter() - started:.1f} 秒"
    )
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_kb(args: argparse.Namespace) -> int:
    """kb build | check | stats | import."""
    if args.kb_command == "build":
        return kb_build(
            force=args.force, lexicon=args.lexicon, out=Path(args.out) if args.out else None
        )
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
    _logging(settings, debug=args.debug)
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


def cmd_db(args: argparse.Namespace) -> int:
    """db upgrade | db current: the database schema (Alembic revisions)."""
    from bot.db import make_engine
    from bot.schema import current_revision, head_revision, upgrade

    settings = _settings()
    _logging(settings)
    engine = make_engine(settings.database_url)
    try:
        if args.db_command == "upgrade":
            before, after = upgrade(engine)
            print(f"数据库结构：{before or '空'} → {after}（最新）")
            return 0
        current, head = current_revision(engine), head_revision()
        state = "最新" if current == head else f"需要升级到 {head}：python -m bot db upgrade"
        print(f"{current or '无'}（{state}）")
        return 0
    finally:
        engine.dispose()


def cmd_console(args: argparse.Namespace) -> int:
    """The staff web console, or a sign-in link for it."""
    from bot.console import cli as console

    settings = _settings()
    if args.console_command == "link":
        return console.print_link(settings, args.user)
    _logging(settings)
    return console.serve(settings, args)


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
    run.add_argument("--debug", action="store_true", help="出错时在终端显示完整的 Python 错误堆栈")
    run.set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="离线对话（无需令牌）")
    chat.add_argument("--user", type=int, default=10001, help="以哪个用户 ID 开始")
    chat.set_defaults(func=cmd_chat)

    ask = sub.add_parser("ask", help="问一个问题；- 表示从标准输入逐行读取")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--business-type", default=None)
    ask.set_defaults(func=cmd_ask)

    kb = sub.add_parser("kb", help="知识库：build / check / stats / import")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    build = kb_sub.add_parser("build", help="重建随包发布的检索索引（知识库文件变动后运行）")
    build.add_argument("--force", action="store_true", help="即使索引已是最新也重建")
    build.add_argument(
        "--lexicon", action="store_true", help="按已安装的 jieba、pypinyin 重新生成词典快照"
    )
    build.add_argument("--out", default=None, help="把索引写到这个文件（默认随包的位置）")
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

    db = sub.add_parser("db", help="数据库结构：upgrade / current")
    dsub = db.add_subparsers(dest="db_command", required=True)
    dsub.add_parser("upgrade", help="升级到最新版本")
    dsub.add_parser("current", help="显示当前版本")
    db.set_defaults(func=cmd_db)

    console = sub.add_parser("console", help="监管工作台（网页）；link 生成登录链接")
    console.add_argument("--host", default="127.0.0.1")
    console.add_argument("--port", type=int, default=8080)
    console_sub = console.add_subparsers(dest="console_command")
    console_sub.add_parser("link", help="打印一次性登录链接").add_argument(
        "--user", type=int, required=True
    )
    console.set_defaults(func=cmd_console)
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
    except DataError as exc:
        print("知识库文件有错误：\n" + "\n".join(exc.problems), file=sys.stderr)
        return 1
    except ValueError as exc:
        if not _is_settings_error(exc):
            raise
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not _is_database_unreachable(exc):
            raise
        from bot.db import unreachable_message

        if getattr(args, "debug", False):
            traceback.print_exc()
        print(unreachable_message(_settings().database_url, exc), file=sys.stderr)
        return 1


def _is_database_unreachable(exc: BaseException) -> bool:
    """SQLAlchemy could not connect (without importing it for commands that never did)."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.OperationalError)


def _is_settings_error(exc: BaseException) -> bool:
    """A SettingsError, without importing bot.config (pydantic) for commands that never did."""
    config = sys.modules.get("bot.config")
    return config is not None and isinstance(exc, config.SettingsError)
