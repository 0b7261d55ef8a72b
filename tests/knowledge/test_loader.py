from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loader import Citation, Entry, load_entries, validate_citation
from tests.knowledge.helpers import problems, write

# One valid entry; the mapping starts on line 1, its citations on lines 9 and 10.
GOOD = """\
- id: health-cert
  topic: 从业人员健康
  question: 员工多久做一次健康检查？
  paraphrases: [健康证一年一办吗, 建康证过期了咋办, 体检一年几回, 没健康证能先上岗吗]
  answer: 接触直接入口食品的人员每年体检一次，取得健康证明后上岗。
  business_types: [catering, retail]
  tags: [健康证明]
  citations:
    - {source: fsl, article: 45}
    - {source: sd-regulation, article: 15}
"""
ALLOWED_TYPES = (
    "['all', 'canteen', 'catering', 'consumer', 'online', 'other', 'production', 'retail', "
    "'small']"
)


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_a_valid_entry_loads_with_its_file_line_and_citations(scratch: Path) -> None:
    write(scratch / "faq" / "health.yaml", GOOD)
    [entry] = load_entries(scratch / "faq")
    assert entry == Entry(
        id="health-cert",
        topic="从业人员健康",
        question="员工多久做一次健康检查？",
        paraphrases=("健康证一年一办吗", "建康证过期了咋办", "体检一年几回", "没健康证能先上岗吗"),
        answer="接触直接入口食品的人员每年体检一次，取得健康证明后上岗。",
        detail="",
        business_types=frozenset({"catering", "retail"}),
        tags=("健康证明",),
        citations=(Citation("fsl", 45), Citation("sd-regulation", 15)),
        file="health.yaml",
        line=1,
    )
    assert entry.citations[0].statute.title == "中华人民共和国食品安全法"
    assert entry.citations[1].statute.effective.isoformat() == "2024-03-01"
    assert entry.applies_to("retail")
    assert entry.applies_to(None)
    assert not entry.applies_to("production")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  answer: 接触直接入口食品的人员每年体检一次，取得健康证明后上岗。\n",
            "",
            ["faq/a.yaml:1: 缺少 answer"],
        ),
        (
            "  answer: 接触",
            "  anwser: 接触",
            ["faq/a.yaml:1: 未知字段 'anwser'", "faq/a.yaml:1: 缺少 answer"],
        ),
        (
            "topic: 从业人员健康",
            "topic: 天气预报",
            ["faq/a.yaml:1: topic '天气预报' 不在 topics.yaml 中"],
        ),
        (
            "{source: fsl, article: 45}",
            "{source: fsl, article: 155}",
            ["faq/a.yaml:9: 中华人民共和国食品安全法没有第155条（共154条）"],
        ),
        (
            "{source: sd-regulation, article: 15}",
            "{source: sd-regulation, article: 0}",
            ["faq/a.yaml:10: 山东省食品安全条例没有第0条（共73条）"],
        ),
        (
            "{source: fsl, article: 45}",
            "{source: fsl, article: 四十五}",
            ["faq/a.yaml:9: 条号应为整数：'四十五'"],
        ),
        (
            "{source: fsl, article: 45}",
            "{source: food-safety-law-2021, article: 45}",
            ["faq/a.yaml:9: 未知的引用来源 'food-safety-law-2021'（见 sources.yaml）"],
        ),
        (
            "[健康证一年一办吗, 建康证过期了咋办, 体检一年几回, 没健康证能先上岗吗]",
            "[健康证一年一办吗, 建康证过期了咋办, 体检一年几回]",
            ["faq/a.yaml:1: paraphrases 至少 4 条"],
        ),
        (
            "business_types: [catering, retail]",
            "business_types: [catering, bakery]",
            [f"faq/a.yaml:1: business_types 只能取 {ALLOWED_TYPES}：['catering', 'bakery']"],
        ),
        (
            "id: health-cert",
            "id: Health_Cert",
            ["faq/a.yaml:1: id 应为小写字母、数字和连字符：'Health_Cert'"],
        ),
        (
            "  citations:\n"
            "    - {source: fsl, article: 45}\n"
            "    - {source: sd-regulation, article: 15}\n",
            "",
            ["faq/a.yaml:1: 至少需要一条 citations"],
        ),
        (
            "  answer: 接触直接入口食品的人员每年体检一次，取得健康证明后上岗。",
            "  answer: " + "字" * 401,
            ["faq/a.yaml:1: answer 有 401 字，超过 400 字；长内容放 detail"],
        ),
    ],
    ids=[
        "missing-answer",
        "misspelt-field",
        "unknown-topic",
        "article-beyond-last",
        "article-zero",
        "article-not-a-number",
        "unknown-source-2021-law",
        "three-paraphrases",
        "unknown-business-type",
        "bad-id",
        "no-citations",
        "answer-too-long",
    ],
)
def test_a_broken_entry_is_reported_as_file_line_message(
    scratch: Path, old: str, new: str, expected: list[str]
) -> None:
    write(scratch / "faq" / "a.yaml", broken(old, new))
    assert problems(load_entries, scratch / "faq") == expected


def test_every_problem_of_every_file_is_reported_at_once(scratch: Path) -> None:
    second = broken("id: health-cert", "id: second").replace("topic: 从业人员健康", "topic: 无")
    write(scratch / "faq" / "a.yaml", broken("fsl, article: 45", "fsl, article: 999") + second)
    write(scratch / "faq" / "b.yaml", broken("体检一年几回, ", ""))
    assert problems(load_entries, scratch / "faq") == [
        "faq/a.yaml:9: 中华人民共和国食品安全法没有第999条（共154条）",
        "faq/a.yaml:11: topic '无' 不在 topics.yaml 中",
        "faq/b.yaml:1: paraphrases 至少 4 条",
    ]


def test_a_duplicate_id_names_where_it_was_first_defined(scratch: Path) -> None:
    write(scratch / "faq" / "a.yaml", GOOD)
    write(scratch / "faq" / "b.yaml", broken("id: health-cert", "id: other") + GOOD)
    assert problems(load_entries, scratch / "faq") == [
        "faq/b.yaml:11: id 'health-cert' 与 a.yaml:1 重复"
    ]


def test_a_yaml_syntax_error_names_its_line_and_other_files_are_still_checked(
    scratch: Path,
) -> None:
    write(scratch / "faq" / "a.yaml", "- id: health-cert\n  question: 健康证\n    answer: 要\n")
    write(scratch / "faq" / "b.yaml", broken("topic: 从业人员健康", "topic: 天气"))
    syntax, other = problems(load_entries, scratch / "faq")
    # PyYAML's pure-Python parser and libyaml word it differently; both read the same in Chinese.
    assert (
        syntax == "faq/a.yaml:3: YAML 语法错误：这里不能出现“键: 值”（冒号后的内容缩进或引号有误）"
    )
    assert other == "faq/b.yaml:1: topic '天气' 不在 topics.yaml 中"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: health-cert\n", "faq/a.yaml:1: 文件应为条目列表"),
        ("- 健康证多久办一次\n", "faq/a.yaml: 每个条目应为一个映射（id、question、answer ……）"),
    ],
    ids=["mapping-instead-of-list", "string-item"],
)
def test_a_file_of_the_wrong_shape_is_reported(scratch: Path, text: str, expected: str) -> None:
    write(scratch / "faq" / "a.yaml", text)
    assert problems(load_entries, scratch / "faq") == [expected]


def test_an_empty_folder_is_an_error_not_an_empty_base(scratch: Path) -> None:
    (scratch / "faq").mkdir()
    assert problems(load_entries, scratch / "faq") == ["faq: 没有知识库文件（faq/*.yaml）"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"source": "samr-60", "article": 22}, (Citation("samr-60", 22), None)),
        (
            {"source": "samr-60", "article": 23},
            (None, "企业落实食品安全主体责任监督管理规定没有第23条（共22条）"),
        ),
        ({"source": "fsl", "article": True}, (None, "条号应为整数：True")),
        ({"source": "fsl", "article": "45"}, (None, "条号应为整数：'45'")),
        ({"source": None, "article": 1}, (None, "未知的引用来源 None（见 sources.yaml）")),
        ("fsl 45", (None, "引用应为 {source: 键, article: 条号}")),
    ],
    ids=["last-article", "one-past-last", "bool", "string-number", "no-source", "not-a-mapping"],
)
def test_validate_citation(raw: object, expected: tuple[Citation | None, str | None]) -> None:
    assert validate_citation(raw) == expected
