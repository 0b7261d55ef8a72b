"""监督抽考 paper settings in a form: validated in Chinese by field, saved through the service."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.console.routes.exam_paper import paper_from_form, paper_values
from bot.exams.issue import get_default_paper
from bot.exams.paper import Paper, Section, default_paper
from bot.models import AuditLog
from tests.conftest import ADMIN, make_settings

GOOD = {
    "single_count": "20",
    "single_points": "2",
    "multiple_count": "10",
    "multiple_points": "3",
    "judge_count": "0",
    "judge_points": "",
    "minutes": "25",
    "pass_mark": "60",
    "multiple_partial": "0.5",
    "sector_share": "0.6",
}


def test_values_round_trip_the_default_paper() -> None:
    paper = default_paper()
    assert paper_from_form(paper_values(paper)) == (paper, {})


def test_plain_values_make_a_paper() -> None:
    paper, errors = paper_from_form(GOOD)
    assert errors == {}
    assert paper == Paper(
        (Section("single", 20, 2.0), Section("multiple", 10, 3.0)), 25, 60.0, 0.5, 0.6
    )


def test_every_bad_field_is_named_in_chinese() -> None:
    bad = {
        **GOOD,
        "single_count": "二十",
        "multiple_points": "0",
        "minutes": "2.5",
        "pass_mark": "100",
        "multiple_partial": "1",
        "sector_share": "abc",
    }
    assert paper_from_form(bad) == (
        None,
        {
            "single_count": "请填写数字。",
            "minutes": "请填写整数。",
            "sector_share": "请填写数字。",
        },
    )
    numbers = {**bad, "single_count": "20", "minutes": "2", "sector_share": "3"}
    assert paper_from_form(numbers) == (
        None,
        {
            "multiple_points": "多选题每题分值应在 0.5-50 分之间（现为 0）。",
            "minutes": "限时应为 5-240 分钟的整数。",
            "pass_mark": "合格线应大于 0 且不超过满分 40 分（现为 100 分）。",
            "multiple_partial": "多选题少选得分比例应在 0 到 1 之间（不含 1）。",
            "sector_share": "本行业题目占比应在 0% 到 100% 之间。",
        },
    )
    empty = {**GOOD, "single_count": "0", "multiple_count": "", "pass_mark": "-1"}
    assert paper_from_form(empty)[1] == {
        "sections": "至少要有一类题目（题数大于 0）。",
        "pass_mark": "合格线应大于 0（现为 -1 分）。",
    }
    over = {**GOOD, "judge_count": "70", "judge_points": "1", "pass_mark": "200"}
    assert paper_from_form(over)[1] == {
        "sections": "题目总数不能超过 90 道（现为 100 道）。",
        "pass_mark": "合格线应大于 0 且不超过满分 140 分（现为 200 分）。",
    }


def test_edit_the_paper_in_the_console(client_for, engine) -> None:
    admin = client_for(ADMIN)
    form = admin.get("/exams/paper")
    assert "当前试卷：45 题，满分 100 分，80 分合格，限时 30 分钟" in form.text
    bad = admin.post("/exams/paper", data={**GOOD, "minutes": "500", "csrf": admin.csrf})
    assert bad.status_code == 400
    assert '<span class="error" id="error-minutes">限时应为 5-240' in bad.text
    assert 'id="minutes" name="minutes" size="5" value="500"' in bad.text
    saved = admin.post("/exams/paper", data={**GOOD, "csrf": admin.csrf})
    assert "试卷已保存" in saved.text and "当前试卷：30 题，满分 70 分，60 分合格" in saved.text
    with Session(engine) as session:
        assert get_default_paper(session, make_settings()).minutes == 25
        [entry] = session.exec(select(AuditLog).where(AuditLog.action == "exam:paper")).all()
        assert entry.actor_id == ADMIN
    admin.post("/exams/paper", data={"reset": "1", "csrf": admin.csrf})
    with Session(engine) as session:
        assert get_default_paper(session, make_settings()) == default_paper()


@given(st.dictionaries(st.sampled_from(sorted(GOOD)), st.text(max_size=8)))
def test_anything_typed_gives_a_paper_or_errors_by_field(values) -> None:
    paper, errors = paper_from_form({**GOOD, **values})
    assert (paper is None) == bool(errors)
    if paper is not None:
        assert Paper.from_json(paper.to_json()) == paper
