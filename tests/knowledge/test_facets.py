from __future__ import annotations

import pytest

from knowledge.facets import Facets


@pytest.mark.parametrize(
    ("answer", "holds"),
    [
        ("每餐留样，冷藏保存48小时以上，每个品种不少于125克。", {"how_long", "quantity"}),
        ("到所在地乡镇人民政府或街道办事处备案，备案不收费。", {"where", "cost"}),
        (
            "责令改正，给予警告；拒不改正的，处5000元以上5万元以下罚款。",
            {"penalty", "cost", "quantity"},
        ),
        ("要。接触直接入口食品的员工都要持证上岗。", set()),
    ],
)
def test_answerable_reads_what_an_answer_holds(answer: str, holds: set[str]) -> None:
    assert Facets().answerable(answer) == holds


def test_fit_asks_the_answer_for_what_the_question_wants() -> None:
    facets = Facets()
    how_long = facets.of_query("学校食堂留样留几天")
    assert facets.fit(how_long, facets.answerable("每餐都要留样，保存48小时。")) == 1.0
    assert facets.fit(how_long, facets.answerable("要。学校食堂每餐都要留样。")) == -1.0


def test_fit_is_silent_on_intents_any_answer_serves() -> None:
    facets = Facets()
    whether = facets.of_query("饭店要不要留样")
    assert whether.intents == {"whether"}
    assert facets.fit(whether, facets.answerable("要。")) == 0.0
    assert facets.fit(facets.of_query("留样"), frozenset()) == 0.0


def test_fit_counts_each_checkable_intent() -> None:
    facets = Facets()
    both = facets.of_query("健康证去哪办，多少钱")
    assert {"where", "cost"} <= both.intents
    assert facets.fit(both, facets.answerable("到社区医院体检办理。")) == 0.0
    assert facets.fit(both, facets.answerable("到医院体检，费用几十元。")) == 1.0
