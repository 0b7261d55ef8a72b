"""The month's records exported (bot and command line), read back; corrections; coverage."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.cli import main
from bot.db import make_engine
from bot.records.daily import file_zero
from bot.records.enterprises import register
from bot.sandbox.driver import Driver
from tests.conftest import INSPECTOR
from tests.records.helpers import at, credit_code, opened, staffed

BOSS, DIRECTOR, OFFICER, STRANGER = 34001, 34002, 34003, 34004
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _month_of_records(driver: Driver, engine: Engine, clock: list[datetime]) -> None:
    """Two days filed (one with a problem), one missed, a correction, a weekly report, minutes."""
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    opened(engine, at(1, 8))
    clock[0] = at(1, 10)
    [sheet] = await driver.send(OFFICER, "/today")
    await driver.press(OFFICER, sheet, "✅ 今日检查无异常（零风险报告）")
    clock[0] = at(2, 19)  # after the 18:00 deadline: filed late
    [sheet] = await driver.send(OFFICER, "/today")
    [marking] = await driver.press(OFFICER, sheet, "⚠️ 发现问题，逐项标记")
    await driver.press(OFFICER, marking, (4, 0))
    await driver.press(OFFICER, marking, "下一步：填写问题")
    await driver.send(OFFICER, "冰箱里有两包过期的速冻水饺")
    [severity] = await driver.send(OFFICER, "已下架销毁并登记")
    [confirm] = await driver.press(OFFICER, severity, "一般")
    await driver.press(OFFICER, confirm, "提交记录")
    clock[0] = at(3, 9)
    [fixed] = await driver.send(
        OFFICER, "/correct 2027-03-01 漏记了留样｜当天午餐未按要求留样，已补做"
    )
    assert fixed.text is not None and fixed.text.startswith(
        "✅ 已追加更正：2027-03-01的日管控记录（第1次更正"
    )
    [missing] = await driver.send(OFFICER, "/correct 2027-03-04 原因｜内容")
    assert missing.text == "2027-03-04的日管控记录还没有记录，无法更正。"
    clock[0] = at(8, 10)
    await driver.send(DIRECTOR, "/weekly")
    await driver.send(DIRECTOR, "过期食品未及时清理")
    [confirm] = await driver.send(DIRECTOR, "每天收市前检查保质期")
    await driver.press(DIRECTOR, confirm, "确认，形成周排查报告")
    clock[0] = at(1, 10, month=4)
    await driver.send(BOSS, "/monthly")
    for text in ("总监汇报了过期食品问题", "日管控基本落实", "四月重点：保质期管理"):
        [last] = await driver.send(BOSS, text)
    await driver.press(BOSS, last, "确认，形成会议纪要")


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


async def test_the_month_exports_as_three_forms_and_a_workbook_read_back(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    await _month_of_records(driver, engine, clock)
    summary, *files = await driver.send(DIRECTOR, "/records 2027-03")
    assert summary.text == (
        "好味道餐馆 2027年3月：日管控记录 3 条，周排查报告 1 份，调度会议纪要 1 份。"
        "下面是三份 Word 记录和一份 Excel 汇总；更正的记录另起一行，注明原因和提交时间。"
    )
    names = [f.media["document"]["file_name"] for f in files]
    assert names == [
        "好味道餐馆_2027-03_每日食品安全检查记录.docx",
        "好味道餐馆_2027-03_每周食品安全排查治理报告.docx",
        "好味道餐馆_2027-03_每月食品安全调度会议纪要.docx",
        "好味道餐馆_2027-03_日管控周排查月调度.xlsx",
    ]
    blobs = [driver.emulator.file_bytes(f.media["document"]["file_id"]) for f in files]
    daily = _docx_text(blobs[0])
    assert "《每日食品安全检查记录》" in daily
    assert "企业名称：好味道餐馆" in daily and "记录月份：2027年3月" in daily
    assert "2027-03-01 | 第1版 | 零风险报告 |" in daily
    assert "2027-03-01 | 第1版 | 更正（第1次）：当天午餐未按要求留样，已补做 |" in daily
    assert "漏记了留样" in daily and "2027-03-03 09:00" in daily  # the reason and its filing time
    assert "冰箱里有两包过期的速冻水饺；措施：已下架销毁并登记" in daily
    assert "2027-03-02 19:00（逾期）" in daily and "未整改" in daily
    assert "食品安全员（签字）：____________" in daily
    assert "食品安全总监（签字）" in daily
    weekly = _docx_text(blobs[1])
    assert "周次：2027-03-01 至 2027-03-07" in weekly
    assert "过期食品未及时清理 | 每天收市前检查保质期" in weekly
    minutes = _docx_text(blobs[2])
    assert "《每月食品安全调度会议纪要》" in minutes and "四月重点：保质期管理" in minutes
    assert "主要负责人（签字）" in minutes
    book = load_workbook(io.BytesIO(blobs[3]))
    assert book.sheetnames == [
        "每日食品安全检查记录",
        "每周食品安全排查治理报告",
        "每月食品安全调度会议纪要",
    ]
    rows = list(book["每日食品安全检查记录"].iter_rows(values_only=True))
    assert rows[0][0] == "好味道餐馆　2027年3月"
    assert [r[0] for r in rows[2:]] == ["2027-03-01", "2027-03-01", "2027-03-02"]
    assert rows[3][7] == "漏记了留样"
    # Only the enterprise's people and staff can export it.
    [refused] = await driver.send(STRANGER, "/records 2027-03 1")
    assert refused.text == "没有编号为 1 的企业，或者您不是这家企业的人员。"
    assert len(await driver.send(INSPECTOR, "/records 2027-03 1")) == 5
    [usage] = await driver.send(OFFICER, "/records 三月")
    assert usage.text is not None and usage.text.startswith("用法：")


def test_the_command_line_writes_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'shian.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
    assert main(["records", "coverage", "--month", f"{month:%Y-%m}"]) == 0  # makes the tables
    engine = make_engine(url)
    with Session(engine) as session:
        outcome = register(
            session,
            name="城南超市",
            code=credit_code(77),
            sector="retail",
            township="南关",
            by=None,
        )
        e = outcome.enterprise
        assert e is not None
        e.created_at = datetime(month.year, month.month, 1, tzinfo=UTC)
        moment = datetime(month.year, month.month, 2, 2, tzinfo=UTC)  # 10:00 in Shanghai
        file_zero(session, e, month.replace(day=2), OFFICER, now=moment, tz=SHANGHAI)
        eid = e.id
    engine.dispose()
    capsys.readouterr()
    out = tmp_path / "out"
    argv = ["records", "export", "--enterprise", str(eid), "--month", f"{month:%Y-%m}"]
    assert main([*argv, "--out", str(out)]) == 0
    written = [Path(w) for w in capsys.readouterr().out.splitlines()]
    stem = f"城南超市_{month:%Y-%m}"
    assert [w.name for w in written] == [
        f"{stem}_每日食品安全检查记录.docx",
        f"{stem}_每周食品安全排查治理报告.docx",
        f"{stem}_每月食品安全调度会议纪要.docx",
        f"{stem}_日管控周排查月调度.xlsx",
    ]
    assert "| 零风险报告 |" in _docx_text(written[0].read_bytes())
    assert "本月没有提交周排查报告。" in _docx_text(written[1].read_bytes())
    assert main(["records", "export", "--enterprise", "999", "--month", "2027-03"]) == 2
    assert capsys.readouterr().err == "没有编号为 999 的企业\n"
    assert main(["records", "coverage", "--month", "2027-13"]) == 2
    assert main(["records", "coverage", "--month", f"{month:%Y-%m}", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["month"] == f"{month:%Y-%m}"
    [group] = figures["groups"]
    assert (group["township"], group["sector"], group["enterprises"]) == ("南关", "retail", 1)
    assert group["checked_days"] == group["on_time_days"] == 1
    assert group["expected_days"] >= 20 and group["monthly_done"] == 0
    assert figures["total"]["enterprises"] == 1
    sheet = tmp_path / "企业.xlsx"
    book = Workbook()
    assert book.active is not None
    book.active.append(["企业名称", "统一社会信用代码或许可证号", "行业", "乡镇（街道）"])
    book.active.append(["北关饭店", "JY13701020000009", "餐饮", "北关"])
    book.active.append(["坏代码", "123", "餐饮", "北关"])
    book.save(sheet)
    assert main(["records", "import", str(sheet)]) == 1  # one row refused
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("第2行\t北关饭店\t已登记\t")
    assert lines[1].startswith("第3行\t坏代码\t统一社会信用代码应为 18 位")


async def test_staff_see_coverage_per_township_and_sector(
    driver: Driver, engine: Engine, clock: list[datetime]
) -> None:
    with Session(engine) as session:
        made = [
            register(
                session, name=n, code=credit_code(i), sector=s, township=t, by=None
            ).enterprise
            for i, (n, s, t) in enumerate(
                [
                    ("甲餐馆", "catering", "城关"),
                    ("乙餐馆", "catering", "城关"),
                    ("丙超市", "retail", "南关"),
                ],
                start=50,
            )
        ]
        for e in made:
            assert e is not None
            e.created_at = at(1, 8)
            session.add(e)
        session.commit()
        a, b, c = made
        assert a is not None and b is not None and c is not None
        for day in (1, 2, 3):
            file_zero(session, a, at(day, 10).date(), OFFICER, now=at(day, 10), tz=SHANGHAI)
        file_zero(session, b, at(1, 10).date(), OFFICER, now=at(1, 20), tz=SHANGHAI)  # late
    clock[0] = at(3, 20)
    [refused] = await driver.send(STRANGER, "/coverage 2027-03")
    assert refused.text == "这个命令只有监管人员可以使用。"
    [view] = await driver.send(INSPECTOR, "/coverage 2027-03")
    assert view.text == (
        "2027年3月 日管控落实情况（截至2027年3月3日）\n"
        "南关·食品销售：1 家，按时率 0.0%（0/3 天），未整改问题 0 个，周报告 0/0，月纪要 0/1\n"
        "城关·餐饮服务：2 家，按时率 50.0%（3/6 天），未整改问题 0 个，周报告 0/0，月纪要 0/2\n"
        "全部·全部行业：3 家，按时率 33.3%（3/9 天），未整改问题 0 个，周报告 0/0，月纪要 0/3"
    )
