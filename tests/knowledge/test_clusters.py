"""Grouping similar questions: bigram Jaccard over the index's normalised text, deterministic."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from knowledge.clusters import group_similar

ASKED = [
    ("健康证多久办一次", 5),
    ("红烧肉怎么做", 4),
    ("健康证多长时间办一次", 3),
    ("健康證多久辦一次", 2),  # traditional characters: the same question
    ("小作坊要办什么证", 2),
    ("红烧肉怎么做好吃", 1),
    ("hello", 2),
    ("HELLO", 1),
    ("？？", 3),  # nothing to compare: left out
]


def test_similar_questions_are_grouped_most_asked_first(index) -> None:
    groups = group_similar(ASKED, index.analyzer)
    assert [(g.count, g.phrasings, g.examples) for g in groups] == [
        (10, 2, [("健康证多久办一次", 7), ("健康证多长时间办一次", 3)]),
        (5, 2, [("红烧肉怎么做", 4), ("红烧肉怎么做好吃", 1)]),
        (3, 1, [("hello", 3)]),
        (2, 1, [("小作坊要办什么证", 2)]),
    ]
    assert groups[0].leader == "健康证多久办一次"


def test_the_result_does_not_depend_on_the_input_order(index) -> None:
    shuffled = list(ASKED)
    random.Random(3).shuffle(shuffled)
    first = group_similar(ASKED, index.analyzer)
    assert [(g.count, g.examples) for g in group_similar(shuffled, index.analyzer)] == [
        (g.count, g.examples) for g in first
    ]


@given(st.lists(st.tuples(st.text(max_size=30), st.integers(1, 5)), max_size=40))
def test_every_countable_question_lands_in_exactly_one_group(asked) -> None:
    from knowledge import default_index

    analyzer = default_index().analyzer
    groups = group_similar(asked, analyzer)
    counted = sum(n for text, n in asked if analyzer.compact(text))
    assert sum(g.count for g in groups) == counted
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
