"""Enterprises, their people and the single-use links that invite them (no telegram here)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import as_utc, utcnow
from bot.records.checklist import first_version
from bot.records.codes import check_code
from bot.records.models import Enterprise, EnterpriseDraft, Invite, Member, RecordsChoice
from knowledge.checklists import SECTORS, load_checklists

__all__ = [
    "INVITE_TTL",
    "MAX_NAME",
    "MAX_TOWNSHIP",
    "ROLES",
    "SECTORS",
    "DraftResult",
    "JoinResult",
    "Registered",
    "cancel_draft",
    "choose",
    "chosen_enterprise",
    "create_invite",
    "draft_input",
    "draft_of",
    "duplicate_of",
    "finish_draft",
    "my_enterprises",
    "people",
    "people_by_enterprise",
    "register",
    "roles_in",
    "sector_of",
    "start_draft",
    "use_invite",
]

ROLES = {"principal": "主要负责人", "director": "食品安全总监", "officer": "食品安全员"}
MAX_NAME = 60
MAX_TOWNSHIP = 20
INVITE_TTL = timedelta(hours=72)
# Chinese names people type for a sector (Excel imports, chat)
_SECTOR_NAMES = {
    **{v: k for k, v in SECTORS.items()},
    "生产": "production",
    "销售": "retail",
    "餐饮": "catering",
    "食堂": "canteen",
    "集中用餐单位": "canteen",
    "特殊食品": "special",
}


def sector_of(text: str) -> str | None:
    """A sector key from its key or a Chinese name (生产, 餐饮服务 …)."""
    text = text.strip()
    return text if text in SECTORS else _SECTOR_NAMES.get(text)


@dataclass(frozen=True, slots=True)
class Registered:
    """The outcome of registering an enterprise: the row, or why it was refused."""

    enterprise: Enterprise | None
    error: str = ""


def duplicate_of(session: Session, code: str) -> Enterprise | None:
    """The enterprise already registered under this credit code or licence number."""
    return session.exec(
        select(Enterprise).where(
            (col(Enterprise.credit_code) == code) | (col(Enterprise.licence_no) == code)
        )
    ).first()


def register(
    session: Session,
    *,
    name: str,
    code: str,
    sector: str,
    township: str,
    by: int | None,
    principal: int | None = None,
) -> Registered:
    """Create the enterprise with version 1 of its list; the registrant becomes 主要负责人."""
    name, township = name.strip(), township.strip()
    checked = check_code(code)
    if checked.kind is None:
        return Registered(None, checked.error)
    if not name or len(name) > MAX_NAME:
        return Registered(None, f"企业名称应为 1-{MAX_NAME} 个字")
    if not township or len(township) > MAX_TOWNSHIP:
        return Registered(None, f"乡镇（街道）应为 1-{MAX_TOWNSHIP} 个字")
    if sector not in SECTORS:
        return Registered(None, "行业只能是：" + "、".join(SECTORS.values()))
    existing = duplicate_of(session, checked.value)
    if existing is not None:
        return Registered(None, f"代码 {checked.value} 已经登记过（{existing.name}）")
    enterprise = Enterprise(
        name=name,
        credit_code=checked.value if checked.kind == "credit" else None,
        licence_no=checked.value if checked.kind == "licence" else None,
        sector=sector,
        township=township,
        created_by=by,
    )
    session.add(enterprise)
    try:
        session.flush()
    except IntegrityError:  # registered by someone else a moment ago
        session.rollback()
        return Registered(None, f"代码 {checked.value} 已经登记过")
    assert enterprise.id is not None
    first_version(session, enterprise.id, load_checklists()[sector], by=by)
    if principal is not None:
        session.add(Member(enterprise_id=enterprise.id, user_id=principal, role="principal"))
    session.commit()
    return Registered(enterprise)


# --- registering in chat: a draft row holds what was typed ----------------------------------


def start_draft(session: Session, user_id: int) -> EnterpriseDraft:
    """Begin (or begin again) registering an enterprise."""
    draft = session.get(EnterpriseDraft, user_id) or EnterpriseDraft(user_id=user_id)
    draft.step, draft.name, draft.code, draft.township = "name", "", "", ""
    draft.updated_at = utcnow()
    session.add(draft)
    session.commit()
    return draft


def draft_of(session: Session, user_id: int) -> EnterpriseDraft | None:
    """The person's registration in progress."""
    return session.get(EnterpriseDraft, user_id)


def cancel_draft(session: Session, user_id: int) -> bool:
    """Drop the registration in progress; False when there was none."""
    draft = session.get(EnterpriseDraft, user_id)
    if draft is None:
        return False
    session.delete(draft)
    session.commit()
    return True


@dataclass(frozen=True, slots=True)
class DraftResult:
    """The draft after one typed answer, and the problem with the answer if any."""

    draft: EnterpriseDraft
    error: str = ""
    typed: str = ""


def draft_input(session: Session, draft: EnterpriseDraft, text: str) -> DraftResult:
    """Store one typed answer and move to the next step; a bad answer keeps the step."""
    text = text.strip()
    error = ""
    if draft.step == "name":
        if not text or len(text) > MAX_NAME:
            error = f"企业名称应为 1-{MAX_NAME} 个字（您输入了 {len(text)} 个字）"
        else:
            draft.name, draft.step = text, "code"
    elif draft.step == "code":
        checked = check_code(text)
        existing = duplicate_of(session, checked.value) if checked.kind else None
        if checked.kind is None:
            error = checked.error
        elif existing is not None:
            error = f"这个代码已经登记过（{existing.name}），请联系该企业的主要负责人邀请您"
        else:
            draft.code, draft.step = checked.value, "township"
    elif draft.step == "township":
        if not text or len(text) > MAX_TOWNSHIP:
            error = f"乡镇（街道）应为 1-{MAX_TOWNSHIP} 个字"
        else:
            draft.township, draft.step = text, "sector"
    if not error:
        draft.updated_at = utcnow()
        session.add(draft)
        session.commit()
    return DraftResult(draft, error, text)


def finish_draft(session: Session, user_id: int, sector: str) -> Registered:
    """The sector was chosen: register the enterprise and drop the draft."""
    draft = session.get(EnterpriseDraft, user_id)
    if draft is None or draft.step != "sector":
        return Registered(None, "")
    result = register(
        session,
        name=draft.name,
        code=draft.code,
        sector=sector,
        township=draft.township,
        by=user_id,
        principal=user_id,
    )
    if result.enterprise is not None:
        cancel_draft(session, user_id)
    return result


# --- people ----------------------------------------------------------------------------------


def roles_in(session: Session, user_id: int, enterprise_id: int) -> set[str]:
    """The person's active roles in the enterprise."""
    return set(
        session.exec(
            select(Member.role).where(
                Member.user_id == user_id,
                Member.enterprise_id == enterprise_id,
                col(Member.active).is_(True),
            )
        ).all()
    )


def people(session: Session, enterprise_id: int, *roles: str) -> list[int]:
    """User ids holding any of these roles in the enterprise."""
    return list(
        dict.fromkeys(
            session.exec(
                select(Member.user_id)
                .where(
                    Member.enterprise_id == enterprise_id,
                    col(Member.role).in_(roles),
                    col(Member.active).is_(True),
                )
                .order_by(col(Member.id))
            ).all()
        )
    )


def people_by_enterprise(
    session: Session, enterprise_ids: list[int]
) -> dict[tuple[int, str], list[int]]:
    """(enterprise id, role) -> user ids, for many enterprises in one query."""
    found: dict[tuple[int, str], list[int]] = {}
    rows = session.exec(
        select(col(Member.enterprise_id), col(Member.role), col(Member.user_id))
        .where(col(Member.enterprise_id).in_(enterprise_ids), col(Member.active).is_(True))
        .order_by(col(Member.id))
    ).all()
    for eid, role, uid in rows:
        found.setdefault((eid, role), []).append(uid)
    return found


def my_enterprises(session: Session, user_id: int) -> list[tuple[Enterprise, list[str]]]:
    """Every enterprise the person serves, with their roles there."""
    rows = session.exec(
        select(Enterprise, Member.role)
        .join(Member, col(Member.enterprise_id) == col(Enterprise.id))
        .where(Member.user_id == user_id, col(Member.active).is_(True))
        .order_by(col(Enterprise.id), col(Member.id))
    ).all()
    found: dict[int, tuple[Enterprise, list[str]]] = {}
    for enterprise, role in rows:
        assert enterprise.id is not None
        found.setdefault(enterprise.id, (enterprise, []))[1].append(role)
    return list(found.values())


def choose(session: Session, user_id: int, enterprise_id: int) -> Enterprise | None:
    """Make this enterprise the one the person's commands act on (they must serve it)."""
    if not roles_in(session, user_id, enterprise_id):
        return None
    choice = session.get(RecordsChoice, user_id) or RecordsChoice(
        user_id=user_id, enterprise_id=enterprise_id
    )
    choice.enterprise_id = enterprise_id
    session.add(choice)
    session.commit()
    return session.get(Enterprise, enterprise_id)


def chosen_enterprise(
    session: Session, user_id: int
) -> tuple[Enterprise | None, list[tuple[Enterprise, list[str]]]]:
    """The enterprise commands act on (chosen, or the only one) and all the person serves."""
    mine = my_enterprises(session, user_id)
    choice = session.get(RecordsChoice, user_id)
    for enterprise, _ in mine:
        if choice is not None and enterprise.id == choice.enterprise_id:
            return enterprise, mine
    return (mine[0][0] if len(mine) == 1 else None), mine


# --- invites ---------------------------------------------------------------------------------


def create_invite(
    session: Session,
    enterprise_id: int,
    role: str,
    *,
    by: int | None,
    ttl: timedelta = INVITE_TTL,
    now: datetime | None = None,
) -> Invite:
    """A new single-use link for one role; it expires after ttl."""
    now = now or utcnow()
    invite = Invite(
        token=secrets.token_urlsafe(12),
        enterprise_id=enterprise_id,
        role=role,
        created_by=by,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    session.commit()
    return invite


@dataclass(frozen=True, slots=True)
class JoinResult:
    """What a join link did: joined, or why not (unknown, used, expired)."""

    status: str  # joined | unknown | used | expired
    invite: Invite | None = None
    enterprise: Enterprise | None = None


def use_invite(
    session: Session, token: str, user_id: int, *, now: datetime | None = None
) -> JoinResult:
    """Spend a join link once: the person gets the role; a second use is refused."""
    now = now or utcnow()
    invite = session.exec(select(Invite).where(Invite.token == token)).first()
    if invite is None:
        return JoinResult("unknown")
    enterprise = session.get(Enterprise, invite.enterprise_id)
    if invite.used_at is not None:
        return JoinResult("used", invite, enterprise)
    if as_utc(invite.expires_at) <= now:
        return JoinResult("expired", invite, enterprise)
    claimed = session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_by=user_id, used_at=now)
    )
    if claimed.rowcount != 1:  # pressed on two devices at once: the other press won
        session.rollback()
        return JoinResult("used", invite, enterprise)
    if invite.role not in roles_in(session, user_id, invite.enterprise_id):
        session.add(Member(enterprise_id=invite.enterprise_id, user_id=user_id, role=invite.role))
    session.commit()
    session.refresh(invite)
    return JoinResult("joined", invite, enterprise)
