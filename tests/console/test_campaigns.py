"""你点我检 in the console: open, close, tallies, downloads, publish with a preview, public."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.models import AuditLog, Broadcast, Campaign, Delivery
from tests.conftest import ADMIN, INSPECTOR
from tests.console.helpers import add_votes, make_campaign

VOTERS = {50001: [0, 1, 3], 50002: [0, 4], 50003: [1, 3]}


def test_open_close_publish_and_public_page(client_for, engine) -> None:
    with Session(engine) as session:
        cid = make_campaign(session)
    admin = client_for(ADMIN)
    anonymous = client_for(None)
    assert anonymous.get(f"/public/campaigns/{cid}").status_code == 404  # a draft
    page = admin.get(f"/campaigns/{cid}")
    assert "开始投票" in page.text and "草稿" in page.text
    opened = admin.post(f"/campaigns/{cid}/open", data={"csrf": admin.csrf})
    assert "活动已开始投票" in opened.text and "投票中" in opened.text
    twice = admin.post(f"/campaigns/{cid}/open", data={"csrf": admin.csrf})
    assert twice.status_code == 409 and "不能这样操作" in twice.text
    with Session(engine) as session:
        add_votes(session, cid, VOTERS)
    live = admin.get(f"/campaigns/{cid}")
    assert "投票人数：3" in live.text
    assert "<td>1</td><td>猪肉</td><td>2</td>" in live.text
    assert anonymous.get(f"/public/campaigns/{cid}").status_code == 404  # open
    admin.post(f"/campaigns/{cid}/close", data={"csrf": admin.csrf})
    early = admin.post(f"/campaigns/{cid}/publish", data={"csrf": admin.csrf})
    assert early.status_code == 409  # no outcome text yet
    empty = admin.post(f"/campaigns/{cid}/outcome", data={"csrf": admin.csrf, "outcome": ""})
    assert empty.status_code == 400 and "请填写抽检结果公示内容" in empty.text
    outcome = "共抽检猪肉 12 批次，全部合格。<详见公告>"
    saved = admin.post(f"/campaigns/{cid}/outcome", data={"csrf": admin.csrf, "outcome": outcome})
    assert "投票人会收到的消息（预览）" in saved.text
    assert "“你点我检”抽检结果公布：春季你点我检" in saved.text
    assert "&lt;详见公告&gt;" in saved.text
    assert "将发给 3 位投票人" in saved.text
    published = admin.post(f"/campaigns/{cid}/publish", data={"csrf": admin.csrf})
    assert "已开始向投票人和订阅者发送抽检结果" in published.text
    with Session(engine) as session:
        assert session.get(Campaign, cid).status == "published"
        broadcast = session.exec(select(Broadcast)).one()
        assert (broadcast.kind, broadcast.key) == ("campaign_publish", f"campaign:{cid}:publish")
        assert sorted(session.exec(select(Delivery.chat_id)).all()) == sorted(VOTERS)
        logged = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
        actions = [a for a in logged if "campaign" in a]
        assert actions == [f"campaign:{a}" for a in ("open", "close", "outcome", "publish")]
    public = anonymous.get(f"/public/campaigns/{cid}")
    assert public.status_code == 200
    assert '参与投票：<strong id="voters">3</strong> 人' in public.text
    assert "共抽检猪肉 12 批次，全部合格。&lt;详见公告&gt;" in public.text
    assert "食品品种" in public.text and "农贸市场" in public.text
    for voter in VOTERS:
        assert str(voter) not in public.text
    assert "其他建议" not in public.text


def test_downloads_are_the_bots_exports(client_for, engine) -> None:
    with Session(engine) as session:
        cid = make_campaign(session)
        add_votes(session, cid, VOTERS)
    admin = client_for(ADMIN)
    book = admin.get(f"/campaigns/{cid}/results.xlsx")
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.content)).sheetnames
    assert any("食品品种" in s for s in sheets)
    png = admin.get(f"/campaigns/{cid}/chart/1.png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert admin.get(f"/campaigns/{cid}/chart/9.png").status_code == 404
    assert admin.get("/campaigns/999").status_code == 404
    assert client_for(INSPECTOR).get(f"/campaigns/{cid}/results.xlsx").status_code == 403


def test_public_page_unknown_campaign_is_404(client_for) -> None:
    response = client_for(None).get("/public/campaigns/12345")
    assert response.status_code == 404 and "没有这个页面" in response.text
