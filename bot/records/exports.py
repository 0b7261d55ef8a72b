"""One enterprise's month as the three documents (Word forms) and one Excel workbook.

Every revision is shown: the record as first filed and each correction after it, with the
reason and the time of filing, so nothing can be back-dated or silently changed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import docx
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, col, select

from bot.models import User, as_utc
from bot.records.models import (
    ChecklistVersion,
    DailyRecord,
    Enterprise,
    MonthlyMinutes,
    Problem,
    WeeklyReport,
)
from bot.records.reports import parse_month, period_end

__all__ = ["DOCUMENTS", "MonthRecords", "excel", "load_month", "parse_month", "word_documents"]

DOCUMENTS = ("每日食品安全检查记录", "每周食品安全排查治理报告", "每月食品安全调度会议纪要")
DAILY_COLUMNS = (
    "日期",
    "清单版本",
    "检查结果",
    "发现的问题及措施",
    "整改情况",
    "检查人",
    "提交时间",
    "更正原因",
)
WEEKLY_COLUMNS = (
    "周次",
    "应查/已查/按时（天）",
    "发现/已整改/未整改（个）",
    "分析研判",
    "决定的措施",
    "填报人",
    "提交时间",
    "更正原因",
    "更正内容",
)
MONTHLY_COLUMNS = (
    "月份",
    "应查/已查/按时（天）",
    "发现/已整改/未整改（个）",
    "周报告（份）",
    "听取总监汇报",
    "本月工作总结",
    "下月重点工作",
    "记录人",
    "提交时间",
    "更正原因",
    "更正内容",
)


@dataclass(frozen=True, slots=True)
class MonthRecords:
    """What one enterprise filed about one month, every revision included."""

    enterprise: Enterprise
    month: date
    daily: list[DailyRecord]
    problems: dict[int, list[Problem]]  # record id -> its problems
    versions: dict[int, int]  # checklist version id -> its number
    weekly: list[WeeklyReport]
    monthly: list[MonthlyMinutes]
    names: dict[int, str]  # user id -> display name


def load_month(session: Session, enterprise: Enterprise, month: date) -> MonthRecords:
    """Read the month's records; weeks are those whose Monday falls in the month."""
    end = period_end("monthly", month)
    daily = list(
        session.exec(
            select(DailyRecord)
            .where(
                DailyRecord.enterprise_id == enterprise.id,
                col(DailyRecord.day) >= month,
                col(DailyRecord.day) <= end,
            )
            .order_by(col(DailyRecord.day), col(DailyRecord.revision))
        ).all()
    )
    problems: dict[int, list[Problem]] = {}
    ids = [r.id for r in daily]
    for p in session.exec(
        select(Problem).where(col(Problem.record_id).in_(ids)).order_by(col(Problem.id))
    ).all():
        problems.setdefault(p.record_id, []).append(p)
    versions = {
        v.id: v.number
        for v in session.exec(
            select(ChecklistVersion).where(ChecklistVersion.enterprise_id == enterprise.id)
        ).all()
        if v.id is not None
    }
    weekly = list(
        session.exec(
            select(WeeklyReport)
            .where(
                WeeklyReport.enterprise_id == enterprise.id,
                col(WeeklyReport.period) >= month,
                col(WeeklyReport.period) <= end,
            )
            .order_by(col(WeeklyReport.period), col(WeeklyReport.revision))
        ).all()
    )
    monthly = list(
        session.exec(
            select(MonthlyMinutes)
            .where(MonthlyMinutes.enterprise_id == enterprise.id, MonthlyMinutes.period == month)
            .order_by(col(MonthlyMinutes.revision))
        ).all()
    )
    people: set[int] = {r.filed_by for r in daily} | {r.filed_by for r in weekly}
    people |= {r.filed_by for r in monthly}
    people |= {p.fixed_by for ps in problems.values() for p in ps if p.fixed_by}
    names = {
        u.id: u.display_name or str(u.id)
        for u in session.exec(select(User).where(col(User.id).in_(people))).all()
    }
    return MonthRecords(enterprise, month, daily, problems, versions, weekly, monthly, names)


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return as_utc(value).astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _name(data: MonthRecords, user: int | None) -> str:
    return data.names.get(user, str(user)) if user else ""


def _daily_rows(data: MonthRecords, tz: ZoneInfo) -> list[list[str]]:
    rows = []
    for r in data.daily:
        found = data.problems.get(r.id or 0, [])
        if r.revision:
            result = f"更正（第{r.revision}次）：{r.note}"
        else:
            result = "零风险报告" if r.zero_risk else f"发现问题 {r.problems} 个"
        issues = "\n".join(
            f"{p.item_text}：{p.description}；措施：{p.measure}{'（严重）' if p.serious else ''}"
            for p in found
        )
        fixes = "\n".join(
            f"{_when(p.fixed_at, tz)} {p.fix_note}（{_name(data, p.fixed_by)}）"
            if p.fixed_at
            else "未整改"
            for p in found
        )
        late = "" if r.on_time or r.revision else "（逾期）"
        rows.append(
            [
                r.day.isoformat(),
                f"第{data.versions.get(r.version_id, '?')}版",
                result,
                issues,
                fixes,
                _name(data, r.filed_by),
                _when(r.filed_at, tz) + late,
                r.reason,
            ]
        )
    return rows


def _figures(r: WeeklyReport | MonthlyMinutes) -> tuple[str, str]:
    return (
        f"{r.days_expected}/{r.days_checked}/{r.days_on_time}",
        f"{r.problems_found}/{r.problems_fixed}/{r.problems_open}",
    )


def _weekly_rows(data: MonthRecords, tz: ZoneInfo) -> list[list[str]]:
    return [
        [
            f"{r.period.isoformat()} 至 {(r.period + timedelta(days=6)).isoformat()}",
            *_figures(r),
            r.analysis,
            r.decisions,
            _name(data, r.filed_by),
            _when(r.filed_at, tz),
            r.reason,
            r.note,
        ]
        for r in data.weekly
    ]


def _monthly_rows(data: MonthRecords, tz: ZoneInfo) -> list[list[str]]:
    return [
        [
            f"{r.period:%Y-%m}",
            *_figures(r),
            str(r.weekly_reports),
            r.director_report,
            r.review,
            r.priorities,
            _name(data, r.filed_by),
            _when(r.filed_at, tz),
            r.reason,
            r.note,
        ]
        for r in data.monthly
    ]


def _document(data: MonthRecords, title: str) -> Document:
    doc = docx.Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(f"《{title}》")
    run.bold, run.font.size = True, Pt(16)
    e = data.enterprise
    code = e.credit_code or e.licence_no or ""
    doc.add_paragraph(f"企业名称：{e.name}　　统一社会信用代码/许可证号：{code}")
    doc.add_paragraph(
        f"所属乡镇（街道）：{e.township}　　记录月份：{data.month.year}年{data.month.month}月"
    )
    return doc


def _table(doc: Document, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, columns, strict=True):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value


def _sign(doc: Document, signers: tuple[str, ...], tz: ZoneInfo, exported: datetime) -> None:
    doc.add_paragraph("")
    for signer in signers:
        doc.add_paragraph(f"{signer}（签字）：____________　　日期：____年__月__日")
    note = "说明：本记录由食安助手按提交顺序生成，更正另起一行并注明原因，提交时间为系统记录时间。"
    doc.add_paragraph(f"{note}导出时间：{_when(exported, tz)}")


def _bytes(doc: Document) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def word_documents(data: MonthRecords, tz: ZoneInfo, *, exported: datetime) -> dict[str, bytes]:
    """The three documents as .docx files, named after the enterprise and the month."""
    stem = f"{data.enterprise.name}_{data.month:%Y-%m}"
    daily = _document(data, DOCUMENTS[0])
    _table(daily, DAILY_COLUMNS, _daily_rows(data, tz))
    _sign(daily, ("食品安全员", "食品安全总监"), tz, exported)
    weekly = _document(data, DOCUMENTS[1])
    if data.weekly:
        for r, row in zip(data.weekly, _weekly_rows(data, tz), strict=True):
            weekly.add_paragraph(f"周次：{row[0]}{'（更正）' if r.revision else ''}")
            _table(weekly, WEEKLY_COLUMNS[1:], [row[1:]])
    else:
        weekly.add_paragraph("本月没有提交周排查报告。")
    _sign(weekly, ("食品安全总监（或食品安全员）",), tz, exported)
    monthly = _document(data, DOCUMENTS[2])
    if data.monthly:
        for row in _monthly_rows(data, tz):
            _table(monthly, MONTHLY_COLUMNS[1:], [row[1:]])
    else:
        monthly.add_paragraph("本月没有提交调度会议纪要。")
    _sign(monthly, ("主要负责人", "食品安全总监"), tz, exported)
    return {
        f"{stem}_{DOCUMENTS[0]}.docx": _bytes(daily),
        f"{stem}_{DOCUMENTS[1]}.docx": _bytes(weekly),
        f"{stem}_{DOCUMENTS[2]}.docx": _bytes(monthly),
    }


def excel(data: MonthRecords, tz: ZoneInfo) -> tuple[str, bytes]:
    """The same records as one workbook with a sheet per document."""
    book = Workbook()
    sheets = (
        (DOCUMENTS[0], DAILY_COLUMNS, _daily_rows(data, tz)),
        (DOCUMENTS[1], WEEKLY_COLUMNS, _weekly_rows(data, tz)),
        (DOCUMENTS[2], MONTHLY_COLUMNS, _monthly_rows(data, tz)),
    )
    first = book.active
    assert first is not None
    book.remove(first)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([f"{data.enterprise.name}　{data.month.year}年{data.month.month}月"])
        sheet.append(list(columns))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return f"{data.enterprise.name}_{data.month:%Y-%m}_日管控周排查月调度.xlsx", out.getvalue()
