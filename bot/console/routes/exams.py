"""监督抽考: records with filters (month, sector, township, enterprise), statistics, Excel, and
issuing a code with the same checks as /exam_new.

The same services as /exam_results and /exam_export: inspectors see the exams they issued,
admins see all; every view and export is audited as in the bot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import date, timedelta

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Staff
from bot.console.web import (
    XLSX,
    attachment,
    db,
    form_text,
    page,
    parse_month,
    record,
    staff_page,
    state,
)
from bot.exams.bank import load_exam_bank
from bot.exams.batch import MAX_BYTES, SheetRow, issue_batch, parse_candidates
from bot.exams.exports import Report, build_report, workbook_bytes
from bot.exams.issue import check_form, get_default_paper
from bot.exams.paper import PaperError
from bot.exams.stats import RecordFilter, records, summary
from bot.models import Exam
from knowledge.quiz import ROLES, SECTORS

__all__ = ["ROUTES", "parse_exam_filter"]

FIELDS = ("month", "sector", "township", "enterprise", "passed")
ISSUE_FIELDS = ("enterprise", "credit_code", "sector", "role", "township", "candidate")
SHOWN = 300


def _month(value: str) -> tuple[date, date] | None:
    first = parse_month(value)
    if first is None:
        return None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def parse_exam_filter(typed: dict[str, str]) -> tuple[RecordFilter, dict[str, str]]:
    """The filter from the form; errors in Chinese by field."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    if typed["month"]:
        span = _month(typed["month"])
        if span is None:
            errors["month"] = "月份格式应为 2027-03。"
        else:
            values["start"], values["end"] = span
    if typed["sector"]:
        if typed["sector"] in SECTORS:
            values["sector"] = typed["sector"]
        else:
            errors["sector"] = "未知的行业。"
    if typed["passed"] in ("yes", "no"):
        values["passed"] = typed["passed"] == "yes"
    for name, limit in (("township", 20), ("enterprise", 60)):
        if len(typed[name]) > limit:
            errors[name] = f"最多 {limit} 个字。"
        elif typed[name]:
            values[name] = typed[name]
    return RecordFilter(**values), errors  # type: ignore[arg-type]


def _report(
    request: Request, staff: Staff, action: str, *, full: bool
) -> tuple[Report | None, dict[str, str]]:
    """The filtered report; for the page without the most-missed questions (the workbook has
    them) and with the newest SHOWN records."""
    typed = {name: request.query_params.get(name, "").strip() for name in FIELDS}
    flt, errors = parse_exam_filter(typed)
    if errors:
        return None, errors
    if not staff.is_admin:
        flt = dataclasses.replace(flt, inspector_id=staff.user_id)
    tz = state(request).settings.tz
    with db(request) as session:
        if full:
            report = build_report(session, flt, load_exam_bank(session), tz)
        else:  # a page: figures from the database, only the newest records shown
            total, sectors, townships = summary(session, flt, tz)
            rows = records(session, flt, tz, limit=SHOWN)
            report = Report(flt, rows, total, sectors, townships, [])
        record(session, staff, f"exam:{action}", str(request.url.query))
    return report, errors


@staff_page()
async def exams_page(request: Request, staff: Staff) -> Response:
    """Statistics and records for the filter."""
    report, errors = _report(request, staff, "results", full=False)
    typed = {name: request.query_params.get(name, "") for name in FIELDS}
    return page(
        request,
        "exams",
        staff=staff,
        status=400 if errors else 200,
        report=report,
        errors=errors,
        typed=typed,
        sectors=SECTORS,
        roles=ROLES,
        shown=SHOWN,
        query=str(request.url.query),
    )


@staff_page()
async def export(request: Request, staff: Staff) -> Response:
    """The records and statistics as the bot's Excel workbook."""
    report, _errors = _report(request, staff, "export", full=True)
    if report is None:
        return page(request, "denied", staff=staff, reason="missing", status=400)
    data = await asyncio.to_thread(workbook_bytes, report, state(request).settings.tz)
    return attachment(data, XLSX, "exam_results.xlsx")


ROUTES = [
    Route("/exams", exams_page, methods=["GET"]),
    Route("/exams.xlsx", export, methods=["GET"]),
]


@staff_page()
async def issue_page(request: Request, staff: Staff) -> Response:
    """The form to issue one exam code."""
    return _issue_form(request, staff, typed={}, errors={})


def _issue_form(
    request: Request,
    staff: Staff,
    *,
    typed: dict[str, str],
    errors: dict[str, str],
    exam: Exam | None = None,
    status: int = 200,
) -> Response:
    settings = state(request).settings
    link = _exam_link(settings.telegram_bot_username, exam.code) if exam else ""
    return page(
        request,
        "exam_issue",
        staff=staff,
        status=status,
        typed=typed,
        errors=errors,
        exam=exam,
        link=link,
        sectors=SECTORS,
        roles=ROLES,
        hours=settings.exam_code_hours,
    )


def _issue(request: Request, staff: Staff, rows: list[SheetRow]) -> list[Exam]:
    """One code per row with the bot's paper and expiry; PaperError issues none."""
    settings = state(request).settings
    with db(request) as session:
        return issue_batch(
            session,
            inspector_id=staff.user_id,
            rows=rows,
            bank=load_exam_bank(session),
            paper=get_default_paper(session, settings),
            hours=settings.exam_code_hours,
            rng=random.SystemRandom(),
            now=state(request).clock(),
        )


@staff_page()
async def issue(request: Request, staff: Staff) -> Response:
    """Issue one code with the bot's rules (checks, paper, expiry); the result shows the code."""
    form = await request.form()
    typed = {name: form_text(form, name) for name in ISSUE_FIELDS}
    data, errors = check_form(typed)
    if errors:
        return _issue_form(request, staff, typed=typed, errors=errors, status=400)
    try:
        [exam] = _issue(request, staff, [SheetRow(0, data)])
    except PaperError as exc:
        errors = {"paper": "；".join(exc.problems)}
        return _issue_form(request, staff, typed=typed, errors=errors, status=409)
    return _issue_form(request, staff, typed={}, errors={}, exam=exam)


ROUTES += [
    Route("/exams/issue", issue_page, methods=["GET"]),
    Route("/exams/issue", issue, methods=["POST"]),
]


@staff_page()
async def batch_page(request: Request, staff: Staff) -> Response:
    """The upload form for a candidate list."""
    return page(request, "exam_batch", staff=staff, problems=[], exams=[], code_links={})


def _refused(request: Request, staff: Staff, problems: list[str], status: int) -> Response:
    """The upload form again with why nothing was issued."""
    return page(
        request,
        "exam_batch",
        staff=staff,
        problems=problems,
        exams=[],
        code_links={},
        status=status,
    )


@staff_page(max_body=MAX_BYTES + 16 * 1024)
async def batch_issue(request: Request, staff: Staff) -> Response:
    """Issue one code per row of the uploaded sheet; a printable sheet of codes and links."""
    upload = (await request.form()).get("file")
    problems: list[str] = []
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems = ["请选择要上传的 Excel 文件（.xlsx）。"]
    elif not upload.filename.lower().endswith(".xlsx"):
        problems = ["只接受 Excel 文件（.xlsx）。"]
    rows: list[SheetRow] = []
    if not problems and isinstance(upload, UploadFile):
        rows, problems = parse_candidates(await upload.read(MAX_BYTES + 1))
    if problems:
        return _refused(request, staff, problems, 400)
    settings = state(request).settings
    try:
        exams = _issue(request, staff, rows)
    except PaperError as exc:
        return _refused(request, staff, ["题库无法组卷：" + "；".join(exc.problems)], 409)
    links = {e.code: _exam_link(settings.telegram_bot_username, e.code) for e in exams}
    return page(
        request,
        "exam_batch",
        staff=staff,
        problems=[],
        exams=exams,
        code_links=links,
        sectors=SECTORS,
        roles=ROLES,
    )


def _exam_link(username: str | None, code: str) -> str:
    """The candidate's deep link, when the bot's username is configured."""
    return f"https://t.me/{username}?start=exam_{code}" if username else ""


ROUTES += [
    Route("/exams/batch", batch_page, methods=["GET"]),
    Route("/exams/batch", batch_issue, methods=["POST"]),
]
