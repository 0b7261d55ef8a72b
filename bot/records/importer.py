"""Staff register enterprises in bulk from an Excel sheet; every row gets a result in Chinese."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlmodel import Session

from bot.records.enterprises import create_invite, register, sector_of

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "ImportReport",
    "RowResult",
    "import_workbook",
    "result_workbook",
    "template",
]

COLUMNS = ("企业名称", "统一社会信用代码或许可证号", "行业", "乡镇（街道）")
MAX_ROWS = 5000
BULK_INVITE_TTL = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class RowResult:
    """One sheet row: its number as Excel shows it, what happened, the principal's link token."""

    row: int
    name: str
    ok: bool
    message: str
    token: str = ""
    enterprise_id: int | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Every row's result, or a problem with the file itself."""

    rows: list[RowResult]
    error: str = ""

    @property
    def created(self) -> int:
        """Rows that became enterprises."""
        return sum(1 for r in self.rows if r.ok)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read(data: bytes) -> tuple[list[tuple[int, list[str]]], str]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return [], "文件打不开：请上传 Excel 的 .xlsx 文件"
    try:
        raw = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    if not raw:
        return [], "表格是空的"
    header = [_cell(h) for h in raw[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], "第1行应为表头，缺少列：" + "、".join(missing)
    index = [header.index(c) for c in COLUMNS]
    rows = [
        (n, [_cell(r[i]) if i < len(r) else "" for i in index])
        for n, r in enumerate(raw[1:], start=2)
        if any(c is not None and str(c).strip() for c in r)
    ]
    if len(rows) > MAX_ROWS:
        return [], f"一次最多导入 {MAX_ROWS} 行（这个文件有 {len(rows)} 行），请分批上传"
    return rows, ""


def import_workbook(session: Session, data: bytes, *, by: int) -> ImportReport:
    """Register each valid row (with a 主要负责人 invite); bad rows are reported, not stored."""
    rows, error = _read(data)
    if error:
        return ImportReport([], error)
    results: list[RowResult] = []
    for number, (name, code, sector_text, township) in rows:
        sector = sector_of(sector_text)
        if sector is None:
            message = (
                f"行业“{sector_text or '（空）'}”不认识，请填 生产、销售、餐饮、食堂 或 特殊食品"
            )
            results.append(RowResult(number, name, False, message))
            continue
        outcome = register(session, name=name, code=code, sector=sector, township=township, by=by)
        if outcome.enterprise is None or outcome.enterprise.id is None:
            results.append(RowResult(number, name, False, outcome.error))
            continue
        invite = create_invite(
            session, outcome.enterprise.id, "principal", by=by, ttl=BULK_INVITE_TTL
        )
        results.append(
            RowResult(number, name, True, "已登记", invite.token, outcome.enterprise.id)
        )
    return ImportReport(results)


def result_workbook(report: ImportReport, link: str) -> bytes:
    """The sheet sent back: every row's result and, for new enterprises, the principal's link."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "导入结果"
    sheet.append(
        ["行号", "企业名称", "结果", "企业编号", "主要负责人加入链接（14天内有效，只能用一次）"]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in report.rows:
        sheet.append(
            [
                r.row,
                r.name,
                r.message,
                r.enterprise_id or "",
                link.format(r.token) if r.token else "",
            ]
        )
    for column, width in zip("ABCDE", (8, 30, 50, 10, 60), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    """An empty sheet with the header row staff fill in."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "企业名单"
    sheet.append(list(COLUMNS))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
