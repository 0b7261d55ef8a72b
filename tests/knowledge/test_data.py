from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from knowledge.loader import Citation, Entry, load_entries
from knowledge.quiz import SECTORS, TYPES, Question, load_bank
from knowledge.statutes import parse_statute_file
from knowledge.tips import MAX_TIP, OCCASION_KEYS, load_tips
from knowledge.vocab import sources, topics
from scheduler.calendar import occasions_for_year

SUPERSEDED = "food-safety-law-2021.md"


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return load_entries()


@pytest.fixture(scope="module")
def bank() -> list[Question]:
    return load_bank()


@pytest.fixture(scope="module")
def articles(corpus: Path) -> dict[str, set[int]]:
    """Article numbers present in each cited source's corpus file."""
    return {
        key: set(parse_statute_file(corpus / source.file).articles)
        for key, source in sources().items()
    }


def test_every_entry_loads(entries: list[Entry]) -> None:
    assert len(entries) >= 200
    assert len({e.id for e in entries}) == len(entries)
    assert all(len(e.paraphrases) >= 4 and e.citations for e in entries)
    assert set(Counter(e.topic for e in entries)) == set(topics())  # no empty topic to browse


def test_faq_and_quiz_citations_exist_in_the_corpus(
    entries: list[Entry], bank: list[Question], articles: dict[str, set[int]]
) -> None:
    cited: list[tuple[str, Citation]] = [
        (f"{e.file}:{e.line}", c) for e in entries for c in e.citations
    ]
    cited += [(f"{q.file}:{q.line}", q.citation) for q in bank]
    missing = [
        f"{where}: {c.source} 第{c.article}条"
        for where, c in cited
        if c.article not in articles[c.source]
    ]
    assert missing == []
    assert len(cited) > 1000


def test_nothing_rests_on_the_superseded_2021_law(
    entries: list[Entry], bank: list[Question]
) -> None:
    assert SUPERSEDED not in {s.file for s in sources().values()}
    cited_files = {c.statute.file for e in entries for c in e.citations}
    cited_files |= {q.citation.statute.file for q in bank}
    assert SUPERSEDED not in cited_files
    texts = [e.answer + e.detail for e in entries] + [q.stem + q.explanation for q in bank]
    assert [t for t in texts if "2021年修正" in t] == []


def test_the_bank_covers_every_type_and_sector(bank: list[Question]) -> None:
    assert len(bank) >= 300
    assert set(Counter(q.type for q in bank)) == set(TYPES)
    assert set(Counter(s for q in bank for s in q.sectors)) == set(SECTORS)
    assert len({q.id for q in bank}) == len(bank)


def _days(year: int) -> dict[str, date]:
    days = {o.key: o.day for o in occasions_for_year(year)}
    # The admin sets these each year; any plausible day will do for rendering.
    days |= {"spring_school": date(year, 2, 25), "autumn_school": date(year, 9, 1)}
    days |= {"food_safety_week": date(year, 6, 10)}
    return days


@pytest.mark.parametrize("year", [2026, 2035])
def test_every_tip_renders(year: int) -> None:
    tips = load_tips()
    assert set(tips) == set(OCCASION_KEYS)
    days = _days(year)
    for key, tip in tips.items():
        title, body = tip.render(year=year, day=days[key])
        assert str(year) in title, key
        assert "{{" not in title + body and "{%" not in title + body, key
        assert 0 < len(body) <= MAX_TIP, key
        assert set(re.findall(r"</?([a-zA-Z][^>\s]*)", body)) <= {"b", "i"}, key
