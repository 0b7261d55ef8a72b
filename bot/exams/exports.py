"""抽考 records as an Excel workbook (records, per sector, per township, most missed, chart)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from bot.charts import bar_chart
from bot.exams.bank import Bank
from bot.exams.stats import (
    Group,
    Missed,
    Record,
    RecordFilter,
    by_sector,
    by_township,
    most_missed,
    overall,
    records,
)
from knowledge.quiz import SECTORS

__all__ = ["RECORD_COLUMNS", "Report", "build_report", "pass_rate_chart", "workbook_bytes"]

RECORD_COLUMNS = (
    "考生",
    "岗位",
    "企业",
    "统一社会信用代码",
    "镇街",
    "行业",
    "得分",
    "满分",
    "是否合格",
    "用时（分钟）",
    "日期",
    "监管人员",
    "监管人员ID",
    "考试码",
)
GROUP_COLUMNS = ("名称", "参考人次", "合格人次", "合格率", "平均分")
MISSED_COLUMNS = ("题号", "题干", "主题", "出现次数", "答错次数", "错误率")


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the export and the chat summary show for one filter."""

    filter: RecordFilter
    records: list[Record]
    total: Group
    sectors: list[Group]
    townships: list[Group]
    missed: list[Missed]


def build_report(session: Session, flt: RecordFilter, bank: Bank, tz: ZoneInfo) -> Report:
    """Records and statistics for a filter."""
    rows = records(session, flt, tz)
    return Report(
        filter=flt,
        records=rows,
        total=overall(rows),
        sectors=by_sector(rows),
        townships=by_township(rows),
        missed=most_missed(session, rows, bank),
    )


def pass_rate_chart(report: Report) -> bytes | None:
    """Pass rate per sector as a PNG bar chart; None when there is nothing to draw."""
    if not report.sectors:
        return None
    return bar_chart(
        "各行业抽考合格率",
        [f"{g.name}（{g.attempts}人次）" for g in report.sectors],
        [round(g.pass_rate * 100, 1) for g in report.sectors],
        xlabel="合格率（%）",
        value_format="{:g}%",
        percent=True,
    )


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[object]]):  # type: ignore[no-untyped-def]
    sheet = wb.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for i, name in enumerate(header, 1):
        longest = max([len(str(name))] + [len(str(r[i - 1])) for r in rows[:200]])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, 4 + longest * 1.6)
    sheet.freeze_panes = "A2"
    return sheet


def _group_rows(groups: Sequence[Group]) -> list[list[object]]:
    return [[g.name, g.attempts, g.passed, round(g.pass_rate, 4), g.average] for g in groups]


def workbook_bytes(report: Report, tz: ZoneInfo) -> bytes:
    """The .xlsx: 抽考记录, 行业统计, 镇街统计, 易错题 and 图表 sheets."""
    wb = Workbook()
    wb.remove(wb.active)
    record_rows = [
        [
            r.candidate,
            r.position,
            r.enterprise,
            r.credit_code,
            r.township,
            SECTORS.get(r.sector, r.sector),
            r.score,
            r.max_score,
            "合格" if r.passed else "不合格",
            round(r.used_seconds / 60, 1),
            r.submitted_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            r.inspector,
            r.inspector_id,
            r.code,
        ]
        for r in report.records
    ]
    _sheet(wb, "抽考记录", RECORD_COLUMNS, record_rows)
    for title, groups in (("行业统计", report.sectors), ("镇街统计", report.townships)):
        sheet = _sheet(wb, title, GROUP_COLUMNS, _group_rows([*groups, report.total]))
        for cell in sheet["D"][1:]:
            cell.number_format = "0.0%"
    missed_rows = [
        [m.question_id, m.stem, m.topic, m.asked, m.wrong, round(m.rate, 4)] for m in report.missed
    ]
    sheet = _sheet(wb, "易错题", MISSED_COLUMNS, missed_rows)
    for cell in sheet["F"][1:]:
        cell.number_format = "0.0%"
    png = pass_rate_chart(report)
    if png is not None:
        chart = wb.create_sheet("图表")
        chart.add_image(Image(io.BytesIO(png)), "A1")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
