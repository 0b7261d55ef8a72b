"""Batch exam codes from an uploaded Excel list: all rows right or nothing issued; uploads
limited in size and type."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlmodel import Session, select

from bot.exams.batch import MAX_BYTES
from bot.models import AuditLog, Exam
from tests.conftest import INSPECTOR

HEADER = ["企业名称", "统一社会信用代码", "行业", "岗位", "镇街", "考生姓名"]


def sheet(*rows: list[str]) -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "名单.xlsx"):
    return client.post(
        "/exams/batch",
        data={"csrf": client.csrf},
        files={"file": (name, data, "application/octet-stream")},
    )


def test_batch_issues_one_code_per_row(client_for, engine) -> None:
    inspector = client_for(INSPECTOR)
    data = sheet(
        ["城关饭店", "", "餐饮服务", "食品安全员", "城关街道", "张三"],
        ["东城超市", "", "食品销售", "总监", "", "李四"],
        ["", "", "", "", "", ""],
    )
    response = upload(inspector, data)
    assert response.status_code == 200, response.text
    assert "已发起 2 场抽考" in response.text
    with Session(engine) as session:
        exams = session.exec(select(Exam).order_by(Exam.id)).all()
        assert [(e.enterprise, e.sector, e.role, e.candidate_name) for e in exams] == [
            ("城关饭店", "catering", "officer", "张三"),
            ("东城超市", "retail", "director", "李四"),
        ]
        assert all(e.code in response.text for e in exams)
        logged = session.exec(select(AuditLog).where(AuditLog.action == "exam:issue")).all()
        assert len(logged) == 2


def test_a_bad_row_issues_nothing(client_for, engine) -> None:
    inspector = client_for(INSPECTOR)
    data = sheet(
        ["城关饭店", "", "餐饮服务", "食品安全员", "", ""],
        ["饭", "123", "理发", "食品安全员", "", ""],
    )
    response = upload(inspector, data)
    assert response.status_code == 400
    assert (
        "第 3 行：企业名称（2-60 字）、统一社会信用代码（18 位，校验位正确）、行业 不正确。"
        in (response.text)
    )
    with Session(engine) as session:
        assert session.exec(select(Exam)).all() == []


def test_uploads_are_limited_in_type_and_size(client_for, engine) -> None:
    inspector = client_for(INSPECTOR)
    text = upload(inspector, b"a,b,c\n", name="名单.csv")
    assert text.status_code == 400 and "只接受 Excel 文件（.xlsx）" in text.text
    fake = upload(inspector, b"not a zip at all", name="名单.xlsx")
    assert fake.status_code == 400 and "只接受 Excel 文件（.xlsx）" in fake.text
    big = upload(inspector, b"PK" + b"0" * (MAX_BYTES + 64 * 1024))
    assert big.status_code == 413 and "超过了大小限制" in big.text
    no_header = Workbook()
    no_header.active.append(["公司", "人"])
    out = io.BytesIO()
    no_header.save(out)
    missing = upload(inspector, out.getvalue())
    assert "第 1 行应为表头，缺少：企业名称（2-60 字）、行业、岗位。" in missing.text
    nothing = inspector.post("/exams/batch", data={"csrf": inspector.csrf})
    assert nothing.status_code == 400 and "请选择要上传的 Excel 文件" in nothing.text
    with Session(engine) as session:
        assert session.exec(select(Exam)).all() == []
