"""问答检查, 监督抽考, 节日提示与群发, 审计日志 and 概览: content, filters, bad input."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.models import Attempt, AuditLog, Exam, PendingQuestion, QuestionLog, utcnow
from tests.conftest import ADMIN, INSPECTOR
from tests.console.helpers import make_campaign


def add_exam(
    session: Session,
    *,
    inspector: int,
    enterprise: str,
    township: str,
    sector: str,
    score: float,
    at: datetime,
    code: str,
) -> None:
    exam = Exam(
        code=code,
        inspector_id=inspector,
        enterprise=enterprise,
        township=township,
        sector=sector,
        role="officer",
        expires_at=at + timedelta(days=1),
        status="submitted",
        created_at=at,
    )
    session.add(exam)
    session.flush()
    session.add(
        Attempt(
            exam_id=exam.id,
            user_id=70000 + exam.id,
            mode="exam",
            sector=sector,
            role="officer",
            candidate_name="张三",
            started_at=at - timedelta(minutes=20),
            submitted_at=at,
            score=score,
            passed=score >= 80,
            status="submitted",
        )
    )
    session.commit()


def test_exams_filters_export_and_own_records(client_for, engine) -> None:
    march = datetime(2027, 3, 10, 2, tzinfo=UTC)
    with Session(engine) as session:
        add_exam(
            session,
            inspector=INSPECTOR,
            enterprise="城关饭店",
            township="城关街道",
            sector="catering",
            score=90,
            at=march,
            code="AAAA1111",
        )
        add_exam(
            session,
            inspector=INSPECTOR,
            enterprise="东城超市",
            township="东城街道",
            sector="retail",
            score=60,
            at=march,
            code="BBBB2222",
        )
        add_exam(
            session,
            inspector=ADMIN,
            enterprise="西城食堂",
            township="西城街道",
            sector="canteen",
            score=85,
            at=march + timedelta(days=30),
            code="CCCC3333",
        )
    admin = client_for(ADMIN)
    everything = admin.get("/exams")
    assert all(name in everything.text for name in ("城关饭店", "东城超市", "西城食堂"))
    march_only = admin.get("/exams", params={"month": "2027-03", "enterprise": "饭店"})
    assert "城关饭店" in march_only.text and "东城超市" not in march_only.text
    assert "西城食堂" not in march_only.text
    bad = admin.get("/exams", params={"month": "2027-13x", "township": "城关"})
    assert bad.status_code == 400
    assert '<span class="error" id="error-month">月份格式应为 2027-03。</span>' in bad.text
    assert 'value="2027-13x"' in bad.text and 'value="城关"' in bad.text
    inspector = client_for(INSPECTOR)
    own = inspector.get("/exams")
    assert "城关饭店" in own.text and "西城食堂" not in own.text  # not issued by them
    book = inspector.get("/exams.xlsx", params={"sector": "retail"})
    sheet = load_workbook(io.BytesIO(book.content)).worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "东城超市" in values and "城关饭店" not in values


def test_qa_check_shows_outcome_candidates_and_citations(client_for, engine) -> None:
    inspector = client_for(INSPECTOR)
    page = inspector.get("/qa", params={"q": "健康证多久办一次"})
    assert "机器人会：直接回答" in page.text
    assert "《中华人民共和国食品安全法》第四十五条" in page.text
    assert page.text.count("<tr><td>") >= 2  # candidates with scores
    none = inspector.get("/qa", params={"q": "红烧肉怎么做"})
    assert "说没有找到答案" in none.text
    too_long = inspector.get("/qa", params={"q": "健" * 501})
    assert too_long.status_code == 400 and "问题太长" in too_long.text
    with Session(engine) as session:
        assert session.exec(select(QuestionLog)).all() == []  # a check is not a question


def test_tips_calendar_and_broadcasts(client_for) -> None:
    admin = client_for(ADMIN)
    page = admin.get("/tips", params={"year": "2027"})
    assert "2027 年节日消费提示" in page.text
    assert "春节" in page.text and "2027-02-06" in page.text  # 正月初一
    assert '<div class="tg">' in page.text
    bad = admin.get("/tips", params={"year": "abc"})
    assert bad.status_code == 400 and "年份应在 1901-2099 之间" in bad.text


def test_audit_filters(client_for, engine) -> None:
    with Session(engine) as session:
        session.add(AuditLog(actor_id=ADMIN, action="grant:inspector", detail="555"))
        session.add(AuditLog(actor_id=INSPECTOR, action="exam:issue", detail="1 ABC 饭店"))
        session.commit()
    admin = client_for(ADMIN)
    page = admin.get("/audit", params={"action": "exam"})
    assert "<td>exam:issue</td>" in page.text and "<td>grant:inspector</td>" not in page.text
    by_actor = admin.get("/audit", params={"actor": str(ADMIN)})
    assert "<td>grant:inspector</td>" in by_actor.text
    assert "<td>exam:issue</td>" not in by_actor.text
    bad = admin.get("/audit", params={"actor": "张三", "start": "2027-02-30"})
    assert bad.status_code == 400
    assert "用户 ID 应为数字。" in bad.text and "日期格式应为 2027-03-01。" in bad.text
    assert 'value="张三"' in bad.text
    today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    found = admin.get("/audit", params={"start": today, "text": "工作台"})
    assert "<td>console:login</td>" in found.text


def test_overview_figures(client_for, engine) -> None:
    with Session(engine) as session:
        for outcome in ("answered", "answered", "suggested", "none"):
            session.add(QuestionLog(user_id=1, text="q", outcome=outcome))
        session.add(
            QuestionLog(user_id=1, text="old", outcome="none", at=utcnow() - timedelta(days=8))
        )
        session.add(PendingQuestion(user_id=1, chat_id=1, text="留言"))
        session.commit()
        make_campaign(session)
    page = client_for(ADMIN).get("/")
    assert "<tr><td>已回答</td><td>2</td></tr>" in page.text
    assert "<tr><td>未找到答案</td><td>1</td></tr>" in page.text
    assert "<strong>1</strong> 条留言等待回复" in page.text
    assert "没有正在投票的活动" in page.text  # the campaign is a draft
    inspector_view = client_for(INSPECTOR).get("/")
    assert 'href="/pending"' not in inspector_view.text  # admins' pages are not offered


def test_issue_an_exam_code(client_for, engine, settings) -> None:
    inspector = client_for(INSPECTOR)
    bad = inspector.post(
        "/exams/issue",
        data={
            "csrf": inspector.csrf,
            "enterprise": "饭",
            "credit_code": "123",
            "sector": "catering",
        },
    )
    assert bad.status_code == 400
    assert "企业名称应为 2-60 个字。" in bad.text and "统一社会信用代码应为 18 位" in bad.text
    assert "请选择岗位。" in bad.text and "请选择行业。" not in bad.text
    assert 'value="饭"' in bad.text and 'value="catering" selected' in bad.text
    good = inspector.post(
        "/exams/issue",
        data={
            "csrf": inspector.csrf,
            "enterprise": "城关饭店",
            "sector": "catering",
            "role": "officer",
            "township": "城关街道",
        },
    )
    assert good.status_code == 200 and "抽考已发起" in good.text
    with Session(engine) as session:
        exam = session.exec(select(Exam)).one()
        assert (exam.inspector_id, exam.enterprise, exam.status) == (
            INSPECTOR,
            "城关饭店",
            "issued",
        )
        assert exam.code in good.text
        [logged] = session.exec(select(AuditLog).where(AuditLog.action == "exam:issue")).all()
        assert logged.actor_id == INSPECTOR
