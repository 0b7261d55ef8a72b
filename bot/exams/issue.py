"""Issuing 抽考: the inspector's step-by-step draft (a row), the code, the default paper.

Steps: enterprise -> credit_code -> sector -> role -> township -> candidate -> confirm. Text
steps take the inspector's next message while the draft is fresh (DRAFT_TTL, so a forgotten
draft never swallows a later question); the optional ones (credit_code, township, candidate)
can be skipped. `/exam_new 企业 代码 行业 岗位 姓名` fills what it recognises and the draft
asks for the rest.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import ensure_row
from bot.exams.bank import Bank
from bot.exams.paper import Paper, PaperError, default_paper, shortfall
from bot.exams.services import CODE_ALPHABET, CODE_LENGTH, awaiting_name, clean_name, typed_code
from bot.models import Exam, ExamDraft, ExamSetting, as_utc, utcnow
from bot.users import audit
from knowledge.quiz import ROLES, SECTORS

__all__ = [
    "STEPS",
    "TEXT_STEPS",
    "Draft",
    "cancel_draft",
    "check_form",
    "draft_of",
    "get_default_paper",
    "issue",
    "issue_exam",
    "owes_text",
    "parse_line",
    "recent_townships",
    "restart_draft",
    "set_default_paper",
    "set_step",
    "start_draft",
    "typing_draft",
    "valid_credit_code",
]

STEPS = ("enterprise", "credit_code", "sector", "role", "township", "candidate", "confirm")
TEXT_STEPS = frozenset({"enterprise", "credit_code", "township", "candidate"})
OPTIONAL = frozenset({"credit_code", "township", "candidate"})
SKIP_WORDS = frozenset({"无", "没有", "跳过", "-", "—", "/", "略"})
"""What staff type in place of an optional value they do not have."""
DRAFT_TTL = timedelta(minutes=30)
PAPER_KEY = "default_paper"

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_TOWNSHIP_RE = re.compile(r"^\S{1,18}(镇|乡|街道|街道办事处|开发区|管委会)$")
SECTOR_WORDS = {name: key for key, name in SECTORS.items()} | {
    "生产": "production",
    "销售": "retail",
    "流通": "retail",
    "餐饮": "catering",
    "保健食品": "special",
    "食堂": "canteen",
    "集中用餐": "canteen",
}
ROLE_WORDS = {name: key for key, name in ROLES.items()} | {"总监": "director", "安全员": "officer"}


def valid_credit_code(code: str) -> bool:
    """A 统一社会信用代码 (GB 32100-2015): 18 characters with a valid check character."""
    code = code.strip().upper()
    if not _CREDIT_RE.match(code):
        return False
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code, _CREDIT_WEIGHTS, strict=False))
    return _CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


@dataclass(slots=True)
class Draft:
    """The draft row with its data parsed."""

    row: ExamDraft
    data: dict[str, Any]

    @property
    def step(self) -> str:
        """The step being asked."""
        return self.row.step


def _clean_text(value: str, low: int, high: int) -> str | None:
    text = " ".join(value.split())
    return text if low <= len(text) <= high else None


def check_value(step: str, value: str) -> str | None:
    """The value to store for a text step, or None when it is not acceptable."""
    if step == "enterprise":
        return _clean_text(value, 2, 60)
    if step == "credit_code":
        code = value.strip().upper()
        return code if valid_credit_code(code) else None
    if step == "township":
        return _clean_text(value, 2, 20)
    if step == "candidate":
        return clean_name(value)
    if step == "sector":
        return value if value in SECTORS else None
    if step == "role":
        return value if value in ROLES else None
    return None


def parse_line(text: str) -> dict[str, str]:
    """Recognise 企业、信用代码、行业、岗位、镇街、姓名 in one line of /exam_new arguments."""
    found: dict[str, str] = {}
    rest: list[str] = []
    skips = 0
    for token in re.split(r"[\s,，、;；|]+", text.strip()):
        if not token:
            continue
        if token in SKIP_WORDS:  # a placeholder ("-") holds a place but is not a name
            skips += 1
        elif "credit_code" not in found and valid_credit_code(token):
            found["credit_code"] = token.upper()
        elif "sector" not in found and token in SECTOR_WORDS:
            found["sector"] = SECTOR_WORDS[token]
        elif "role" not in found and token in ROLE_WORDS:
            found["role"] = ROLE_WORDS[token]
        elif "township" not in found and _TOWNSHIP_RE.match(token):
            found["township"] = token
        else:
            rest.append(token)
    for step, token in zip(("enterprise", "candidate"), rest, strict=False):
        value = check_value(step, token)
        if value is not None:
            found[step] = value
    placeholders = [step for step in ("credit_code", "township") if step not in found]
    for step in placeholders[:skips]:
        found[f"skip_{step}"] = "1"
    return found


def _next_step(data: dict[str, Any], after: str | None = None) -> str:
    start = STEPS.index(after) + 1 if after else 0
    for step in STEPS[start:]:
        if step == "confirm" or (step not in data and f"skip_{step}" not in data):
            return step
    return "confirm"


def draft_of(session: Session, inspector_id: int) -> Draft | None:
    """The inspector's draft, if any."""
    row = session.get(ExamDraft, inspector_id)
    return Draft(row, json.loads(row.data)) if row else None


def _save(
    session: Session, row: ExamDraft, data: dict[str, Any], step: str, now: datetime
) -> Draft:
    row.data = json.dumps(data, ensure_ascii=False)
    row.step = step
    row.updated_at = now.astimezone(UTC)
    session.add(row)
    session.commit()
    return Draft(row, data)


def start_draft(
    session: Session, *, inspector_id: int, prefill: dict[str, str], now: datetime
) -> Draft:
    """Begin (or restart) the inspector's draft with what the command line already gave."""
    row = session.get(ExamDraft, inspector_id) or ensure_row(
        session, ExamDraft(inspector_id=inspector_id)
    )
    return _save(session, row, dict(prefill), _next_step(prefill), now)


def typing_draft(session: Session, inspector_id: int, now: datetime) -> Draft | None:
    """The draft if it is waiting for typed text and was touched within DRAFT_TTL."""
    draft = draft_of(session, inspector_id)
    if draft is None or draft.step not in TEXT_STEPS:
        return None
    return draft if as_utc(draft.row.updated_at) + DRAFT_TTL > now.astimezone(UTC) else None


def owes_text(session: Session, user_id: int, now: datetime, text: str) -> bool:
    """The text is an exam's: a typed code, a draft at a typed step, or a candidate's name."""
    return (
        typed_code(text) is not None
        or typing_draft(session, user_id, now) is not None
        or awaiting_name(session, user_id, now) is not None
    )


def set_step(
    session: Session, *, inspector_id: int, step: str, value: str | None, now: datetime
) -> tuple[Draft | None, bool]:
    """Fill (value) or skip (None) the current step: (draft, accepted); stale: (None, False)."""
    draft = draft_of(session, inspector_id)
    if draft is None or draft.step != step or step == "confirm":
        return None, False
    data = dict(draft.data)
    if value is None:
        if step not in OPTIONAL:
            return draft, False
        data.pop(step, None)
        data[f"skip_{step}"] = True
    else:
        checked = check_value(step, value)
        if checked is None:
            return draft, False
        data[step] = checked
    return _save(session, draft.row, data, _next_step(data, step), now), True


def restart_draft(session: Session, *, inspector_id: int, now: datetime) -> Draft | None:
    """重新填写: back to the first step, keeping nothing."""
    row = session.get(ExamDraft, inspector_id)
    return _save(session, row, {}, STEPS[0], now) if row else None


def cancel_draft(session: Session, *, inspector_id: int) -> bool:
    """Drop the draft; False when there was none."""
    row = session.get(ExamDraft, inspector_id)
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True


def recent_townships(session: Session, inspector_id: int, limit: int = 6) -> list[str]:
    """Townships this inspector used before, most recent first (offered as buttons)."""
    rows = session.exec(
        select(Exam.township)
        .where(col(Exam.inspector_id) == inspector_id, col(Exam.township).is_not(None))
        .order_by(col(Exam.created_at).desc())
        .limit(100)
    ).all()
    seen: list[str] = []
    for town in rows:
        if town and town not in seen:
            seen.append(town)
    return seen[:limit]


def _new_code(session: Session, rng: random.Random) -> str:
    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(Exam.id).where(col(Exam.code) == code)).first() is None:
            return code


def issue(
    session: Session,
    *,
    inspector_id: int,
    bank: Bank,
    paper: Paper,
    hours: int,
    rng: random.Random,
    now: datetime,
) -> Exam:
    """Turn the confirmed draft into an exam with a single-use code; PaperError if unfillable."""
    draft = draft_of(session, inspector_id)
    if draft is None or draft.step != "confirm":
        raise LookupError("no confirmed draft")
    session.delete(draft.row)
    return issue_exam(
        session,
        inspector_id=inspector_id,
        data=draft.data,
        bank=bank,
        paper=paper,
        hours=hours,
        rng=rng,
        now=now,
    )


def check_form(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Exam fields typed in one form (the console): (data, errors by field). Optional fields
    may be empty; every value passes the same check_value as the chat draft's steps."""
    data: dict[str, str] = {}
    errors: dict[str, str] = {}
    for step in STEPS[:-1]:
        value = values.get(step, "").strip()
        if not value and step in OPTIONAL:
            continue
        checked = check_value(step, value)
        if checked is None:
            errors[step] = step
        else:
            data[step] = checked
    return data, errors


def issue_exam(
    session: Session,
    *,
    inspector_id: int,
    data: dict[str, Any],
    bank: Bank,
    paper: Paper,
    hours: int,
    rng: random.Random,
    now: datetime,
) -> Exam:
    """An exam with a single-use code from checked fields; PaperError when the bank is short."""
    problems = shortfall(bank.questions, data["sector"], data["role"], paper)
    if problems:
        session.rollback()
        raise PaperError(problems)
    now = now.astimezone(UTC)
    exam = Exam(
        code=_new_code(session, rng),
        inspector_id=inspector_id,
        enterprise=data["enterprise"],
        credit_code=data.get("credit_code"),
        township=data.get("township"),
        sector=data["sector"],
        role=data["role"],
        candidate_name=data.get("candidate"),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        paper=paper.to_json(),
    )
    session.add(exam)
    session.flush()
    audit(
        session,
        actor_id=inspector_id,
        action="exam:issue",
        detail=f"{exam.id} {exam.code} {exam.enterprise} {exam.sector}/{exam.role}",
    )
    return exam


def get_default_paper(session: Session, settings: Settings) -> Paper:
    """The paper for new exams: the admin's, else the built-in one with the settings' time/mark."""
    row = session.get(ExamSetting, PAPER_KEY)
    if row is not None:
        return Paper.from_json(row.value)
    return default_paper(minutes=settings.exam_minutes, pass_mark=settings.exam_pass_mark)


def set_default_paper(session: Session, *, actor_id: int, paper: Paper | None) -> None:
    """An admin sets the default paper (None: back to the built-in one); logged."""
    row = session.get(ExamSetting, PAPER_KEY)
    if paper is None:
        if row is not None:
            session.delete(row)
    else:
        row = row or ExamSetting(key=PAPER_KEY, value="")
        row.value = paper.to_json()
        row.updated_by = actor_id
        row.updated_at = utcnow()
        session.add(row)
    audit(
        session,
        actor_id=actor_id,
        action="exam:paper",
        detail=paper.to_json() if paper else "default",
    )
