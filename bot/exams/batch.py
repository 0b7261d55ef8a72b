"""Batch exam codes: a candidate list from an Excel sheet, checked row by row like /exam_new.

The first row names the columns (企业名称 and 行业 and 岗位 are required; 统一社会信用代码,
镇街 and 考生姓名 may be there); 行业 and 岗位 take the Chinese names or the keys. Nothing is
issued unless every row is right, so a corrected file can simply be uploaded again.
"""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.exams.bank import Bank
from bot.exams.issue import ROLE_WORDS, SECTOR_WORDS, check_form, issue_exam
from bot.exams.paper import Paper, PaperError, shortfall
from bot.models import Exam
from knowledge.quiz import ROLES, SECTORS

__all__ = ["MAX_BYTES", "MAX_ROWS", "SheetRow", "issue_batch", "parse_candidates"]

MAX_BYTES = 1024 * 1024
MAX_ROWS = 200
COLUMNS = {
    "企业名称": "enterprise",
    "企业": "enterprise",
    "统一社会信用代码": "credit_code",
    "信用代码": "credit_code",
    "行业": "sector",
    "岗位": "role",
    "镇街": "township",
    "镇/街道": "township",
    "镇街道": "township",
    "考生姓名": "candidate",
    "姓名": "candidate",
}
REQUIRED = ("enterprise", "sector", "role")
FIELD_NAMES = {
    "enterprise": "企业名称（2-60 字）",
    "credit_code": "统一社会信用代码（18 位，校验位正确）",
    "sector": "行业",
    "role": "岗位",
    "township": "镇街（2-20 字）",
    "candidate": "考生姓名（2-20 字，不含数字和问号）",
}


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One candidate line: its row number in the sheet and its checked fields."""

    line: int
    data: dict[str, str]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _key(value: str, words: dict[str, str], keys: dict[str, str]) -> str:
    return value if value in keys else words.get(value, value)


def parse_candidates(data: bytes) -> tuple[list[SheetRow], list[str]]:
    """The checked rows, or the problems (in Chinese, with the row number) and no rows."""
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        return [], [f"文件太大：最大 {MAX_BYTES // 1024} KB。"]
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return [], ["只接受 Excel 文件（.xlsx）。"]
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
        return [], ["无法读取这个 Excel 文件，请另存为 .xlsx 后重试。"]
    lines = sheet.iter_rows(values_only=True)
    header = [COLUMNS.get(_text(v), "") for v in next(lines, ())]
    missing = [FIELD_NAMES[f] for f in REQUIRED if f not in header]
    if missing:
        return [], ["第 1 行应为表头，缺少：" + "、".join(missing) + "。"]
    rows: list[SheetRow] = []
    problems: list[str] = []
    for number, values in enumerate(lines, start=2):
        typed = {f: _text(v) for f, v in zip(header, values, strict=False) if f}
        if not any(typed.values()):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            return [], [f"一次最多 {MAX_ROWS} 名考生，请分批上传。"]
        typed["sector"] = _key(typed.get("sector", ""), SECTOR_WORDS, SECTORS)
        typed["role"] = _key(typed.get("role", ""), ROLE_WORDS, ROLES)
        checked, errors = check_form(typed)
        if errors:
            bad = "、".join(FIELD_NAMES[f] for f in errors)
            problems.append(f"第 {number} 行：{bad} 不正确。")
        else:
            rows.append(SheetRow(number, checked))
    if not rows and not problems:
        return [], ["表格里没有考生。"]
    return ([], problems) if problems else (rows, [])


def issue_batch(
    session: Session,
    *,
    inspector_id: int,
    rows: list[SheetRow],
    bank: Bank,
    paper: Paper,
    hours: int,
    rng: random.Random,
    now: datetime,
) -> list[Exam]:
    """One code per row; PaperError (and nothing issued) when the bank cannot fill a paper."""
    problems = [
        problem
        for sector, role in sorted({(r.data["sector"], r.data["role"]) for r in rows})
        for problem in shortfall(bank.questions, sector, role, paper)
    ]
    if problems:
        raise PaperError(problems)
    return [
        issue_exam(
            session,
            inspector_id=inspector_id,
            data=row.data,
            bank=bank,
            paper=paper,
            hours=hours,
            rng=rng,
            now=now,
        )
        for row in rows
    ]
