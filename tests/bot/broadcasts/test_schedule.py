"""The typed "not before" time: Beijing time in, UTC out, or why not; queued on the draft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.broadcasts import compose
from bot.broadcasts import services as svc
from bot.broadcasts.schedule import SendAfter, parse_send_after
from bot.models import AuditLog, Broadcast
from tests.conftest import ADMIN

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 1, 20, 12, 0, 30, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", SendAfter()),
        ("  ", SendAfter()),
        ("2027-01-20T12:01", SendAfter(when=datetime(2027, 1, 20, 4, 1, tzinfo=UTC))),
        ("2027-01-21 09:30", SendAfter(when=datetime(2027, 1, 21, 1, 30, tzinfo=UTC))),
        ("2027-02-19T12:00", SendAfter(when=datetime(2027, 2, 19, 4, 0, tzinfo=UTC))),
        ("2027-01-20T12:00", SendAfter(error="past")),  # this minute has begun
        ("2026-12-31T09:00", SendAfter(error="past")),
        ("2027-02-19T12:02", SendAfter(error="too_far")),
        ("明天上午", SendAfter(error="format")),
        ("2027-01-32T09:00", SendAfter(error="format")),
        ("2027-01-21T09:00+00:00", SendAfter(error="format")),
    ],
)
def test_parse_send_after(typed: str, expected: SendAfter) -> None:
    assert parse_send_after(typed, tz=SHANGHAI, now=NOW) == expected


def test_queue_draft_keeps_the_time_and_audits_it(session: Session) -> None:
    draft = compose.start_draft(session, admin_id=ADMIN)
    assert compose.set_text(session, draft, "周六宣传活动") is None
    assert draft.id is not None
    compose.choose_topic(session, draft_id=draft.id, admin_id=ADMIN, topic="campaigns")
    when = datetime(2027, 1, 21, 1, 30, tzinfo=UTC)
    queued = compose.queue_draft(session, draft_id=draft.id, admin_id=ADMIN, send_after=when)
    session.commit()
    assert queued is not None
    row = session.get(Broadcast, draft.id, populate_existing=True)
    assert row is not None
    assert (row.status, row.respect_quiet_hours) == ("queued", True)
    assert row.send_after is not None and row.send_after.replace(tzinfo=UTC) == when
    [entry] = session.exec(select(AuditLog).where(AuditLog.action == "broadcast:start")).all()
    assert entry.detail == f"#{draft.id} campaigns 定时 2027-01-21 09:30（北京时间）"
    assert not svc.is_due(row, when - timedelta(seconds=1))
    assert svc.is_due(row, when)
    assert svc.claim_broadcast(
        session, draft.id, now=when - timedelta(seconds=1), lease=timedelta(seconds=20)
    ) is None  # fmt: skip
    assert svc.claim_broadcast(session, draft.id, now=when, lease=timedelta(seconds=20))
