"""问答检查: the month's unanswered questions grouped by similarity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.models import QuestionLog
from tests.conftest import INSPECTOR


def _log(session: Session, text: str, outcome: str, at: datetime, times: int = 1) -> None:
    for _ in range(times):
        session.add(QuestionLog(user_id=1, text=text, outcome=outcome, at=at))


def test_groups_of_the_month_with_counts_and_examples(client_for, engine) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        _log(session, "健康证多久办一次", "none", now, times=3)
        _log(session, "健康证多长时间办一次", "none", now, times=2)
        _log(session, "红烧肉怎么做", "none", now)
        _log(session, "冷库温度要求", "suggested", now, times=4)
        _log(session, "健康证多久办一次", "answered", now, times=9)
        _log(session, "去年的问题", "none", now - timedelta(days=70))
        session.commit()
    client = client_for(INSPECTOR)
    page = client.get("/qa/unanswered")
    assert page.status_code == 200
    assert "共 6 次提问，3 种问法，归为 2 组" in page.text
    group = page.text.split('<tr id="group-1">')[1].split("</tr>")[0]
    assert "<td>5</td><td>2</td>" in group
    assert "健康证多久办一次（3）<br>健康证多长时间办一次（2）" in group
    assert "去年的问题" not in page.text and "冷库温度要求" not in page.text
    wider = client.get("/qa/unanswered", params={"scope": "all"})
    assert '<tr id="group-1"><td>5</td>' in wider.text and "冷库温度要求（4）" in wider.text
    with Session(engine) as session:
        _log(session, "红烧肉怎么做呢", "none", now)  # a new question: grouped afresh
        session.commit()
    assert "共 7 次提问，4 种问法，归为 2 组" in client.get("/qa/unanswered").text
    month = (now - timedelta(days=70)).strftime("%Y-%m")
    earlier = client.get("/qa/unanswered", params={"month": month})
    assert "去年的问题（1）" in earlier.text


def test_bad_month_is_refused_in_chinese(client_for) -> None:
    client = client_for(INSPECTOR)
    page = client.get("/qa/unanswered", params={"month": "2027-13"})
    assert page.status_code == 400
    assert '<span class="error" id="error-month">月份格式应为 2027-03。</span>' in page.text
    assert 'value="2027-13"' in page.text
