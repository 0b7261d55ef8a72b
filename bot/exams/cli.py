"""python -m bot exam export [--out FILE] [--filter WORDS] | exam import-bank FILE."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.exams.bank import import_sheet, load_exam_bank
from bot.exams.exports import build_report, workbook_bytes
from bot.exams.stats import parse_filter
from bot.schema import prepare

__all__ = ["run_exam_command"]


def _say(text: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(text + "\n")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A session on the configured database, disposed of afterwards."""
    engine = make_engine(settings.database_url)
    prepare(engine)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def export(settings: Settings, out: Path, words: str = "") -> int:
    """Write every submitted exam (optionally filtered) to an .xlsx file."""
    flt, unknown = parse_filter(words)
    if unknown:
        _say(f"无法识别的筛选条件：{' '.join(unknown)}", error=True)
        return 2
    with _session(settings) as session:
        report = build_report(session, flt, load_exam_bank(session), settings.tz)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(workbook_bytes(report, settings.tz))
    _say(
        f"已导出 {len(report.records)} 条抽考记录到 {out}"
        f"（合格 {report.total.passed}，平均分 {report.total.average:g}）"
    )
    return 0


def import_bank(settings: Settings, path: Path) -> int:
    """Import an official bank from xlsx/CSV into the database (all rows or none)."""
    if not path.is_file():
        _say(f"找不到文件：{path}", error=True)
        return 2
    with _session(settings) as session:
        count, problems = import_sheet(session, path, load_exam_bank(session))
    for line in problems:
        _say(line, error=True)
    if problems:
        _say(f"导入失败：{len(problems)} 个问题，未导入任何题目", error=True)
        return 1
    _say(f"已导入 {count} 道题（{path.name}），机器人重启后生效")
    return 0


def run_exam_command(settings: Settings, args: argparse.Namespace) -> int:
    """Dispatch `python -m bot exam ...`."""
    if args.exam_command == "import-bank":
        return import_bank(settings, Path(args.file))
    return export(settings, Path(args.out), getattr(args, "filter", "") or "")
