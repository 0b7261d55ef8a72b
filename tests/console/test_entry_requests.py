"""需要新增问答: staff mark a left question; a list with CSV for the knowledge base; audited."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, select

from bot.models import AuditLog, EntryRequest, PendingQuestion
from tests.conftest import ADMIN
from tests.console.conftest import CITIZEN


def _left(session: Session, text: str, status: str = "open") -> int:
    item = PendingQuestion(user_id=CITIZEN, chat_id=CITIZEN, text=text, status=status)
    session.add(item)
    session.commit()
    assert item.id is not None
    return item.id


def test_mark_list_export_and_remove(client_for, engine) -> None:
    with Session(engine) as session:
        first = _left(session, "网店卖自制辣椒酱要办什么证")
        second = _left(session, '=HYPERLINK("x")', status="answered")
    admin = client_for(ADMIN)
    assert f'id="needs-entry-{first}"' in admin.get("/pending").text
    marked = admin.post(
        f"/pending/{first}/needs-entry", data={"csrf": admin.csrf, "note": "网络食品销售"}
    )
    assert "已列入“需要新增问答”" in marked.text and f'id="marked-{first}"' in marked.text
    admin.post(f"/pending/{first}/needs-entry", data={"csrf": admin.csrf, "note": "again"})
    admin.post(f"/pending/{second}/needs-entry", data={"csrf": admin.csrf})
    gone = admin.post("/pending/999/needs-entry", data={"csrf": admin.csrf})
    assert "这条留言已被处理" in gone.text
    listing = admin.get("/needs-entry")
    assert "需要新增问答的留言（2 条）" in listing.text
    assert "网店卖自制辣椒酱要办什么证" in listing.text and "网络食品销售" in listing.text
    exported = admin.get("/needs-entry.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["留言编号", "提问时间(北京时间)", "问题", "留言状态"]
    assert [(r[0], r[2], r[3], r[5], r[7]) for r in rows[1:]] == [
        (str(second), '\'=HYPERLINK("x")', "已回复", str(ADMIN), ""),
        (str(first), "网店卖自制辣椒酱要办什么证", "待回复", str(ADMIN), "网络食品销售"),
    ]
    removed = admin.post(f"/pending/{first}/needs-entry/remove", data={"csrf": admin.csrf})
    assert "已移出列表" in removed.text and "（1 条）" in removed.text
    with Session(engine) as session:
        assert [r.pending_id for r in session.exec(select(EntryRequest))] == [second]
        actions = session.exec(
            select(AuditLog.action, AuditLog.detail).where(
                AuditLog.action.startswith("pending:")  # type: ignore[attr-defined]
            )
        ).all()
    assert actions == [
        ("pending:needs_entry", f"{first} 网络食品销售 [工作台]"),
        ("pending:needs_entry", f"{second} [工作台]"),
        ("pending:needs_entry_export", "[工作台]"),
        ("pending:needs_entry_removed", f"{first} [工作台]"),
    ]
