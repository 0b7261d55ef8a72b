"""python -m bot records export --enterprise ID --month YYYY-MM [--out DIR] | coverage | import."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.records.coverage import Group

__all__ = ["add_parser", "run_records_command"]


def _say(text: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(text + "\n")


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """The `records` subcommands."""
    records: argparse.ArgumentParser = sub.add_parser("records", help="日管控、周排查、月调度记录")
    rsub = records.add_subparsers(dest="records_command", required=True)
    export = rsub.add_parser("export", help="导出一家企业某月的三份记录（Word 和 Excel）")
    export.add_argument("--enterprise", type=int, required=True)
    export.add_argument("--month", required=True, help="YYYY-MM")
    export.add_argument("--out", default="out")
    cov = rsub.add_parser("coverage", help="各乡镇、行业的落实情况")
    cov.add_argument("--month", required=True, help="YYYY-MM")
    cov.add_argument("--json", action="store_true")
    imp = rsub.add_parser("import", help="从 Excel 批量登记企业")
    imp.add_argument("file")
    return records


def _line(g: Group) -> str:
    from knowledge.checklists import SECTORS

    sector = SECTORS.get(g.sector, "全部行业")
    return (
        f"{g.township}\t{sector}\t{g.enterprises} 家\t按时率 {g.on_time_share * 100:.1f}%"
        f"（{g.on_time_days}/{g.expected_days} 天）\t未整改问题 {g.open_problems} 个"
        f"（最久 {g.oldest_open_days} 天）\t周报告 {g.weekly_reports}/{g.weekly_expected}"
        f"\t月纪要 {g.monthly_done}/{g.enterprises}"
    )


def run_records_command(settings: Settings, args: argparse.Namespace) -> int:
    """Dispatch one `records` subcommand; 0 on success, 2 on bad arguments."""
    # Imported here: `python -m bot run` builds this parser and needs none of it.
    from bot.db import make_engine, session_scope
    from bot.models import utcnow
    from bot.records.coverage import coverage
    from bot.records.exports import excel, load_month, parse_month, word_documents
    from bot.records.importer import import_workbook
    from bot.records.models import Enterprise
    from bot.schema import prepare

    engine = make_engine(settings.database_url)
    prepare(engine)  # SQLite is upgraded; PostgreSQL must be current
    try:
        if args.records_command == "import":
            with session_scope(engine) as session:
                report = import_workbook(session, Path(args.file).read_bytes(), by=0)
            if report.error:
                _say(f"导入失败：{report.error}", error=True)
                return 1
            for r in report.rows:
                _say(f"第{r.row}行\t{r.name}\t{r.message}\t{r.enterprise_id or ''}\t{r.token}")
            return 0 if report.created == len(report.rows) else 1
        month = parse_month(args.month)
        if month is None:
            _say(f"月份格式应为 YYYY-MM：{args.month}", error=True)
            return 2
        with session_scope(engine) as session:
            if args.records_command == "coverage":
                groups, total = coverage(session, month, now=utcnow(), tz=settings.tz)
                if args.json:
                    payload = {
                        "month": f"{month:%Y-%m}",
                        "groups": [g.as_json() for g in groups],
                        "total": total.as_json(),
                    }
                    print(json.dumps(payload, ensure_ascii=False, indent=2))
                else:
                    for g in [*groups, total]:
                        _say(_line(g))
                return 0
            enterprise = session.get(Enterprise, args.enterprise)
            if enterprise is None:
                _say(f"没有编号为 {args.enterprise} 的企业", error=True)
                return 2
            records = load_month(session, enterprise, month)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        files = word_documents(records, settings.tz, exported=utcnow())
        name, book = excel(records, settings.tz)
        for filename, content in [*files.items(), (name, book)]:
            (out / filename).write_bytes(content)
            _say(str(out / filename))
        return 0
    finally:
        engine.dispose()
