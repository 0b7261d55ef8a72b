"""Messages with one, two or no questions: what is answered, suggested and named back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.answering import answer, split_questions
from knowledge.facets import Facets
from knowledge.search import KnowledgeIndex, Outcome, SearchResult


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("健康证多久办一次", ["健康证多久办一次"]),
        ("健康证多久办一次？外卖要贴封签吗？", ["健康证多久办一次？", "外卖要贴封签吗？"]),
        ("健康证去哪办，还有多久办一次", ["健康证去哪办", "还有多久办一次"]),
        (
            "你好。健康证多久办一次？",
            ["你好。健康证多久办一次？"],
        ),  # a greeting joins its neighbour
        ("。。。", []),
    ],
)
def test_split_questions(text: str, parts: list[str]) -> None:
    assert split_questions(text) == parts


def test_a_long_story_keeps_its_last_questions_apart() -> None:
    text = "我在镇上开饭店。去年办的证。今年想扩大。后厨要改造。凉菜间要单独设吗？要多大？"
    assert split_questions(text) == [
        "我在镇上开饭店。去年办的证。今年想扩大。",
        "后厨要改造。",
        "凉菜间要单独设吗？要多大？",  # too short to stand alone, it joins the question before
    ]


def test_two_questions_get_two_answers(index: KnowledgeIndex) -> None:
    reply = answer(index, "健康证多久办一次？外卖要贴封签吗？", business_type="catering")
    assert reply.outcome is Outcome.ANSWERED
    assert [p.entry.id for p in reply.answered] == ["a-health-cert-yearly", "a-online-seal"]
    assert [p.text for p in reply.answered] == ["健康证多久办一次？", "外卖要贴封签吗？"]
    assert reply.unanswered == ""


def test_an_unanswered_second_question_is_named_back(index: KnowledgeIndex) -> None:
    reply = answer(index, "健康证多久办一次？另外你们单位食堂中午几点开饭？")
    assert [p.entry.id for p in reply.answered] == ["a-health-cert-yearly"]
    assert reply.unanswered == "另外你们单位食堂中午几点开饭？"


def test_one_question_is_answered_as_before(index: KnowledgeIndex) -> None:
    reply = answer(index, "健康证多久办一回")
    whole = index.search("健康证多久办一回")
    assert [p.entry.id for p in reply.answered] == [whole.answer.id if whole.answer else ""]
    assert reply.confidence == whole.confidence


def test_story_parts_are_not_searched_on_their_own(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    search = index.search

    def recording(text: str, **kwargs: str | None) -> SearchResult:
        asked.append(text)
        return search(text, **kwargs)

    monkeypatch.setattr(index, "search", recording)
    text = "我在县城开了家羊汤馆，人手不够。最近招了个洗碗的大爷。洗碗的也要办健康证吗？"
    answer(index, text, business_type="catering")
    assert split_questions(text) == [
        "我在县城开了家羊汤馆，人手不够。",
        "最近招了个洗碗的大爷。",
        "洗碗的也要办健康证吗？",
    ]
    assert asked == [text, "洗碗的也要办健康证吗？"]


def test_traditional_characters_meet_the_same_entry(index: KnowledgeIndex) -> None:
    simplified = index.search("外卖要贴封签吗")
    traditional = index.search("外賣要貼封簽嗎")
    assert traditional.answer is not None and simplified.answer is not None
    assert traditional.answer.id == simplified.answer.id


@pytest.mark.parametrize(
    ("text", "intents", "subjects"),
    [
        ("食品安全总监要干啥", {"duties"}, {"role": {"director"}}),
        ("健康证明去哪办", {"where"}, {}),
        ("健康证明多久办一次", {"how_long"}, {}),
        ("食品安全总监必须是老板吗", {"whether"}, {"role": {"director"}}),
        ("专间要单独设吗", {"whether"}, {"place": {"room"}}),
        ("留样要留多少", {"quantity"}, {}),
        ("食品小作坊不办证罚款多少", {"penalty"}, {"small": {"workshop"}}),
    ],
)
def test_facets_of_a_question(text: str, intents: set[str], subjects: dict[str, set[str]]) -> None:
    profile = Facets().profile(text)
    assert profile.intents == intents
    assert {g: set(m) for g, m in profile.subjects.items()} == subjects


def test_facet_agreement_is_signed() -> None:
    facets = Facets()
    director = facets.profile("食品安全总监要干啥")
    assert facets.agreement(director, facets.of_entry("食品安全总监的职责有哪些？", [])) == (1, 1)
    assert facets.agreement(director, facets.of_entry("食品安全员的职责有哪些？", [])) == (1, -1)
    assert facets.agreement(director, facets.of_entry("健康证明去哪办？", [])) == (-1, 0)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gets_a_reply(index: KnowledgeIndex, text: str) -> None:
    reply = answer(index, text)
    assert reply.outcome in set(Outcome)
    assert len(reply.answered) <= 3
    assert (reply.outcome is Outcome.ANSWERED) == bool(reply.answered)
