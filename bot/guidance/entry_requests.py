"""需要新增问答: left questions staff mark for the knowledge base, listed and exported as CSV.

Marking is independent of replying: a question may be answered now and still deserve an entry.
Callers audit the marking (the console records who marked what).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.guidance.services import excel_csv, local_time, zone_name
from bot.models import EntryRequest, PendingQuestion

__all__ = [
    "MAX_NOTE",
    "count_requests",
    "export_requests_csv",
    "list_requests",
    "mark",
    "marked_ids",
    "unmark",
]

MAX_NOTE = 200
STATUS = {"open": "待回复", "answered": "已回复", "dismissed": "已忽略"}


def mark(session: Session, *, item_id: int, staff_id: int, note: str = "") -> bool | None:
    """Put a left question on the list: True; False when it was already (the first mark stays);
    None when there is no such question."""
    if session.get(PendingQuestion, item_id) is None:
        return None
    if marked_ids(session, [item_id]):
        return False
    session.add(EntryRequest(pending_id=item_id, marked_by=staff_id, note=note[:MAX_NOTE]))
    try:
        session.commit()
    except IntegrityError:  # two staff marked it at the same moment: the first stays
        session.rollback()
        return False
    return True


def unmark(session: Session, *, item_id: int) -> bool:
    """Take a question off the list (the entry was added, or it was marked by mistake)."""
    result = session.exec(delete(EntryRequest).where(col(EntryRequest.pending_id) == item_id))
    session.commit()
    return bool(result.rowcount)


def marked_ids(session: Session, item_ids: list[int]) -> set[int]:
    """Which of these left questions are on the list."""
    rows = session.exec(
        select(EntryRequest.pending_id).where(col(EntryRequest.pending_id).in_(item_ids))
    ).all()
    return set(rows)


def count_requests(session: Session) -> int:
    """How many questions are on the list."""
    return int(session.exec(select(func.count()).select_from(EntryRequest)).one())


def list_requests(
    session: Session, *, limit: int | None = None
) -> list[tuple[EntryRequest, PendingQuestion]]:
    """The list, most recently marked first."""
    query = (
        select(EntryRequest, PendingQuestion)
        .join(PendingQuestion, col(PendingQuestion.id) == col(EntryRequest.pending_id))
        .order_by(col(EntryRequest.marked_at).desc(), col(EntryRequest.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [(r, q) for r, q in session.exec(query).all()]


def _cell(text: str) -> str:
    # A citizen's text starting with = + - @ would run as a formula in Excel.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_requests_csv(session: Session, tz: ZoneInfo) -> bytes:
    """The list as CSV (UTF-8 with BOM so Excel shows the Chinese), times in tz."""
    zone = zone_name(tz)
    header = ["留言编号", f"提问时间({zone})", "问题", "留言状态", "回复", "标记人"]
    rows: list[list[object]] = [[*header, f"标记时间({zone})", "备注"]]
    for request, item in list_requests(session):
        rows.append(
            [
                item.id,
                local_time(item.created_at, tz),
                _cell(item.text),
                STATUS.get(item.status, item.status),
                _cell(item.answer or ""),
                request.marked_by,
                local_time(request.marked_at, tz),
                _cell(request.note),
            ]
        )
    return excel_csv(rows)
