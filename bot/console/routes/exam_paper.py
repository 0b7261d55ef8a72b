"""监督抽考: the paper new exams use, edited in a form (count and points per question type,
time limit, pass mark, 多选 partial credit, share from the exam's own sector) through the
exams paper service; saving is the bot's /exam_paper (audited), codes already issued keep
their paper."""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import Staff
from bot.console.web import db, form_text, page, staff_page, state
from bot.exams.bank import load_exam_bank
from bot.exams.issue import get_default_paper, set_default_paper
from bot.exams.paper import Paper, PaperError, paper_from_values, shortfall
from bot.exams.paper_settings import save_paper
from knowledge.quiz import ROLES, SECTORS, TYPES

__all__ = ["ROUTES", "paper_from_form", "paper_values"]

FIELDS = (
    *(f"{t}_{part}" for t in TYPES for part in ("count", "points")),
    "minutes",
    "pass_mark",
    "multiple_partial",
    "sector_share",
)
NOTICES = {"saved": "试卷已保存：新发起的抽考使用这份试卷，已发出的考试码不受影响。"}


def paper_values(paper: Paper) -> dict[str, str]:
    """A paper as the form's text values (a type not in it has count 0)."""
    values = {f"{t}_count": "0" for t in TYPES} | {f"{t}_points": "" for t in TYPES}
    for s in paper.sections:
        values[f"{s.type}_count"], values[f"{s.type}_points"] = str(s.count), f"{s.points:g}"
    for name in ("minutes", "pass_mark", "multiple_partial", "sector_share"):
        values[name] = f"{getattr(paper, name):g}"
    return values


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def paper_from_form(values: Mapping[str, str]) -> tuple[Paper | None, dict[str, str]]:
    """The paper typed in the form, or the problems by field; the rules are the service's."""
    numbers = {name: _number(values.get(name, "") or "0") for name in FIELDS}
    errors = {name: "请填写数字。" for name, value in numbers.items() if value is None}
    for name in (*(f"{t}_count" for t in TYPES), "minutes"):
        value = numbers[name]
        if value is not None and not value.is_integer():
            errors[name] = "请填写整数。"
    if errors:
        return None, errors
    number = {name: value or 0.0 for name, value in numbers.items()}
    try:
        paper = paper_from_values(
            {t: int(number[f"{t}_count"]) for t in TYPES},
            {t: number[f"{t}_points"] for t in TYPES},
            minutes=int(number["minutes"]),
            pass_mark=number["pass_mark"],
            multiple_partial=number["multiple_partial"],
            sector_share=number["sector_share"],
        )
    except PaperError as exc:
        return None, {name: f"{problem}。" for name, problem in exc.fields.items()}
    return paper, {}


def _gaps(session: Session, paper: Paper) -> list[str]:
    """Where the bank cannot fill the paper (such exams cannot be issued)."""
    bank = load_exam_bank(session).questions
    return [p for s in SECTORS for r in ROLES for p in shortfall(bank, s, r, paper)]


def _paper_page(
    request: Request,
    staff: Staff,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with db(request) as session:
        current = get_default_paper(session, state(request).settings)
        gaps = _gaps(session, current)
    return page(
        request,
        "exam_paper",
        staff=staff,
        status=status,
        paper=current,
        typed=typed or paper_values(current),
        errors=errors or {},
        gaps=gaps,
        types=TYPES,
        notice=NOTICES.get(request.query_params.get("done", ""), ""),
    )


@staff_page("admin")
async def paper_page(request: Request, staff: Staff) -> Response:
    """The current paper in the form, and where the bank falls short of it."""
    return _paper_page(request, staff)


@staff_page("admin")
async def save(request: Request, staff: Staff) -> Response:
    """Validate and save; problems are shown next to their fields with what was typed."""
    form = await request.form()
    typed = {name: form_text(form, name) for name in FIELDS}
    if form_text(form, "reset") == "1":
        paper = None
    else:
        paper, errors = paper_from_form(typed)
        if paper is None:
            return _paper_page(request, staff, typed=typed, errors=errors, status=400)
    with db(request) as session:
        if paper is None:
            set_default_paper(session, actor_id=staff.user_id, paper=None)
        else:
            try:
                save_paper(
                    session, actor_id=staff.user_id, bank=load_exam_bank(session), paper=paper
                )
            except PaperError as exc:
                errors = {"sections": str(exc)}
                return _paper_page(request, staff, typed=typed, errors=errors, status=400)
    return RedirectResponse("/exams/paper?done=saved", status_code=303)


ROUTES = [
    Route("/exams/paper", paper_page, methods=["GET"]),
    Route("/exams/paper", save, methods=["POST"]),
]
