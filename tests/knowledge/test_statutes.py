from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.guidance import cli as kbtools
from bot.guidance.statutes import import_statute, list_statutes
from bot.models import Statute, StatuteArticle
from knowledge.statutes import (
    NotAStatute,
    ParsedStatute,
    cn_to_int,
    parse_statute,
    parse_statute_file,
)
from knowledge.vocab import sources
from tests.conftest import make_settings

# Every corpus file: source key, effective date and article count (the header's article_count).
EXPECTED = {
    "anti-food-waste-law-2021.md": ("anti-waste", date(2021, 4, 29), 32),
    # The superseded 2021 text: same key, so it is stored as another version; its own text
    # only states the 2015 commencement date.
    "food-safety-law-2021.md": ("fsl", date(2015, 10, 1), 154),
    "food-safety-law-2025.md": ("fsl", date(2025, 12, 1), 154),
    "food-safety-law-implementing-regulation-2019.md": ("fsl-ir", date(2019, 12, 1), 86),
    "samr-order-49-food-production-business-inspection-2021.md": (
        "samr-49",
        date(2022, 3, 15),
        55,
    ),
    "samr-order-60-enterprise-food-safety-responsibility.md": ("samr-60", date(2022, 11, 1), 22),
    "shandong-food-safety-regulation.md": ("sd-regulation", date(2024, 3, 1), 73),
    "shandong-small-workshops-catering-stalls-regulation-2017.md": (
        "sd-small",
        date(2017, 6, 1),
        55,
    ),
    "spc-food-drug-disputes-provisions-2021.md": ("spc-disputes", date(2021, 12, 1), 19),
    "spc-food-drug-punitive-damages-interpretation-2024.md": (
        "spc-punitive",
        date(2024, 8, 22),
        19,
    ),
    "spc-food-safety-civil-disputes-interpretation-1-2020.md": (
        "spc-civil-1",
        date(2021, 1, 1),
        14,
    ),
    "spc-spp-food-safety-criminal-interpretation-2021.md": ("spc-criminal", date(2022, 1, 1), 26),
    "state-council-order-503-special-provisions-2007.md": ("sc-503", date(2007, 7, 26), 20),
}
_HEADER_COUNT = re.compile(r"^article_count:\s*(\d+)\s*$", re.MULTILINE)
_NAIVE_HEADING = re.compile(r"^[#\s*]*第[零一二三四五六七八九十百千]+条", re.MULTILINE)


@pytest.fixture(scope="module")
def parsed(corpus: Path) -> dict[str, ParsedStatute]:
    return {name: parse_statute_file(corpus / name) for name in EXPECTED}


@pytest.mark.parametrize(
    ("text", "number"),
    [("一", 1), ("十", 10), ("十五", 15), ("二十", 20), ("一百零五", 105), ("一百二十六", 126),
     ("一百五十四", 154), ("两千零一", 2001), ("〇", 0), ("73", 73)],
)  # fmt: skip
def test_cn_to_int(text: str, number: int) -> None:
    assert cn_to_int(text) == number


def test_cn_to_int_rejects_other_characters() -> None:
    with pytest.raises(ValueError, match="一百二十六条"):
        cn_to_int("一百二十六条")


SAMPLE = """\
---
title: 某县食品安全管理办法（2020年修订，县政府令第1号）
dates_stated_in_text: 第三条: 本办法自2019年1月1日起施行
article_count: 3
---
# 某县食品安全管理办法

## 目录
- 第一章 总则

## 第一章 总则

第一条 为了保障食品安全，制定本办法。

**第二条** 违反本办法的，依照食品安全法
### **第一百二十六条**
第一款的规定处罚。
（一）未建立制度；（二）未配备人员。
### 第五条 这是一个错位的引用标题。

## 第二章 附则

> 第三条　本办法自2020年1月1日起施行。

原文链接：https://example.gov.cn/rules
第四条 来源链接之后的文字不算。
"""


def test_parse_statute_survives_headers_tables_of_contents_and_fake_headings() -> None:
    statute = parse_statute(SAMPLE, file_name="County_Rules.md")
    assert statute == ParsedStatute(
        source_key="county-rules",
        title="某县食品安全管理办法",
        version="2020-01-01施行版",
        effective=date(2020, 1, 1),
        articles={
            1: "为了保障食品安全，制定本办法。",
            2: "违反本办法的，依照食品安全法第一百二十六条第一款的规定处罚。\n"
            "（一）未建立制度；（二）未配备人员。\n"
            "第五条 这是一个错位的引用标题。",
            3: "本办法自2020年1月1日起施行。",
        },
        chapters={1: "第一章 总则", 2: "第一章 总则", 3: "第二章 附则"},
        declared_count=3,
    )


def test_a_registry_title_under_another_file_name_keeps_the_key_and_reads_the_date() -> None:
    text = "# 中华人民共和国食品安全法（草案）\n第一条 总则。\n第二条 本法自2030年1月1日起施行。\n"
    statute = parse_statute(text, file_name="fsl-draft.md")
    assert (statute.source_key, statute.title, statute.effective, statute.declared_count) == (
        "fsl",
        "中华人民共和国食品安全法",
        date(2030, 1, 1),
        None,
    )


def test_a_text_without_articles_is_refused_with_its_name() -> None:
    with pytest.raises(NotAStatute, match=re.escape("README.md：不是法规文本")):
        parse_statute("# 说明\n这里没有条文。\n", file_name="README.md")
    # A statute header without any article is a broken statute, not a README.
    with pytest.raises(ValueError, match=re.escape("law.md：没有找到任何“第X条”")) as caught:
        parse_statute("---\ntitle: 某条例\n---\n正文缺失。\n", file_name="law.md")
    assert not isinstance(caught.value, NotAStatute)


def test_every_corpus_file_has_an_expectation(corpus: Path) -> None:
    assert {p.name for p in corpus.glob("*.md")} - {"README.md"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_corpus_file_parses_completely(
    corpus: Path, parsed: dict[str, ParsedStatute], name: str
) -> None:
    key, effective, count = EXPECTED[name]
    statute = parsed[name]
    header = _HEADER_COUNT.search((corpus / name).read_text(encoding="utf-8"))
    assert header is not None
    assert int(header.group(1)) == count == statute.declared_count == len(statute.articles)
    assert list(statute.articles) == list(range(1, count + 1))
    assert all(statute.articles.values())
    assert "施行" in statute.articles[count]  # the commencement article: nothing cut off
    assert (statute.source_key, statute.effective) == (key, effective)
    assert statute.version == f"{effective.isoformat()}施行版"
    assert statute.title == sources()[key].title


def test_registry_files_agree_with_the_corpus(parsed: dict[str, ParsedStatute]) -> None:
    for key, source in sources().items():
        statute = parsed[source.file]
        assert (statute.source_key, statute.effective, len(statute.articles)) == (
            key,
            source.effective,
            source.articles,
        )


def test_order_60_cross_references_do_not_become_articles(
    corpus: Path, parsed: dict[str, ParsedStatute]
) -> None:
    name = "samr-order-60-enterprise-food-safety-responsibility.md"
    text = (corpus / name).read_text(encoding="utf-8")
    assert len(_NAIVE_HEADING.findall(text)) == 24  # the trap the parser must survive
    articles = parsed[name].articles
    assert len(articles) == 22
    assert "依照食品安全法第一百二十六条第一款的规定责令改正" in articles[18]
    assert "依照本规定第四条第二款提出的否决建议" in articles[19]
    assert articles[22] == "本规定自2022年11月1日起施行。"


def test_the_2025_amendment_changed_exactly_five_articles(
    parsed: dict[str, ParsedStatute],
) -> None:
    old = parsed["food-safety-law-2021.md"].articles
    new = parsed["food-safety-law-2025.md"].articles

    def same(n: int) -> bool:
        return re.sub(r"\s+", "", old[n]) == re.sub(r"\s+", "", new[n])

    assert [n for n in new if not same(n)] == [41, 81, 82, 124, 132]
    assert "从业人员应当每年进行健康检查" in re.sub(r"\s+", "", new[45]).replace(
        "食品生产经营人员", "从业人员"
    )


def test_importing_twice_replaces_the_articles(
    engine: Engine, parsed: dict[str, ParsedStatute]
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        first = {name: import_statute(session, p).id for name, p in parsed.items()}
        second = {name: import_statute(session, p).id for name, p in parsed.items()}
        assert first == second
        statutes = list_statutes(session)
        counts = dict(
            session.exec(
                select(StatuteArticle.statute_id, func.count()).group_by(
                    col(StatuteArticle.statute_id)
                )
            ).all()
        )
        order_60 = session.exec(
            select(StatuteArticle.text)
            .join(Statute, col(Statute.id) == col(StatuteArticle.statute_id))
            .where(Statute.source_key == "samr-60", StatuteArticle.number == 18)
        ).one()
    assert len(statutes) == len(EXPECTED)  # one row per version: fsl has 2021 and 2025
    assert [s.source_key for s in statutes] == sorted(s.source_key for s in statutes)
    assert sorted(s.version for s in statutes if s.source_key == "fsl") == [
        "2015-10-01施行版",
        "2025-12-01施行版",
    ]
    assert {s.id: s.article_count for s in statutes} == counts
    by_version = {(s.source_key, s.effective): s for s in statutes}
    for key, effective, count in EXPECTED.values():
        assert by_version[key, effective].article_count == count
    assert "第一百二十六条第一款" in order_60


def test_kb_import_and_check_verify_citations_against_the_imported_text(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'kb.db'}")
    stub = tmp_path / "food-safety-law-2025.md"  # a cut-down text under the registry's name
    stub.write_text(
        "# 中华人民共和国食品安全法\n第一条 目的。\n第二条 适用范围。\n第三条 原则。\n",
        encoding="utf-8",
    )
    assert kbtools.import_files(settings, [stub, corpus / "README.md"]) == 0
    out, err = capsys.readouterr()
    assert out == "已导入《中华人民共和国食品安全法》2025-12-01施行版：3 条\n"
    skipped = (
        f"{corpus / 'README.md'}: 已跳过：README.md：不是法规文本（没有标题头，也没有“第X条”）\n"
    )
    assert err == skipped
    assert kbtools.import_files(settings, [corpus / "README.md"]) == 1  # nothing imported
    assert capsys.readouterr().err == skipped

    assert kbtools.check(settings) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "a_catering.yaml:3: 已导入的《中华人民共和国食品安全法》中没有第45条\n" in err
    assert err.endswith("个问题\n")

    assert kbtools.import_files(settings, [corpus / name for name in EXPECTED]) == 0
    out, _ = capsys.readouterr()
    assert "已导入《企业落实食品安全主体责任监督管理规定》2022-11-01施行版：22 条\n" in out
    assert "文件头声明" not in out  # every count agrees with its header
    assert kbtools.check(settings) == 0
    out, _ = capsys.readouterr()
    checked = re.search(r"；(\d+)/(\d+) 条引用已对照导入的原文核实\n$", out)
    assert checked is not None
    assert checked.group(1) == checked.group(2)


def test_kb_check_refuses_another_version_than_the_cited_one(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'kb.db'}")
    assert kbtools.import_files(settings, [corpus / "food-safety-law-2021.md"]) == 0
    capsys.readouterr()
    assert kbtools.check(settings) == 1
    _, err = capsys.readouterr()
    assert (
        "sources.yaml: 引用的是《中华人民共和国食品安全法》2025-12-01施行版，"
        "但导入的是 2015-10-01施行版：请导入引用的版本\n"
    ) in err
