from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.loader import Citation
from knowledge.quiz import JUDGE_OPTIONS, Question, load_bank, load_sheet, question_from_fields
from knowledge.yamlfile import Problems
from tests.knowledge.helpers import problems, write

# Three valid questions: single on line 1, judge on line 12, multiple on line 21.
SINGLE = """\
- id: q-001
  type: single
  sectors: [general]
  roles: [director, officer]
  difficulty: 1
  topic: 主体责任与人员
  stem: 按照总局令第60号，谁对本企业的食品安全工作全面负责？
  options: [企业主要负责人, 食品安全员, 质量部门经理, 食品安全总监]
  answer: A
  explanation: 第60号令第三条规定企业主要负责人全面负责。
  citation: {source: samr-60, article: 3}
"""
JUDGE = """\
- id: q-002
  type: judge
  sectors: [catering, retail]
  roles: [officer]
  difficulty: 2
  stem: 企业聘任食品安全总监后，主要负责人就不再承担全面责任。
  answer: 错
  explanation: 主要负责人全面负责，总监只是协助。
  citation: {source: samr-60, article: 3}
"""
MULTIPLE = """\
- id: q-003
  type: multiple
  sectors: [production]
  roles: [director]
  difficulty: 3
  stem: 配备食品安全管理人员应当与下列哪些因素相适应？
  options: [注册资本, 企业规模, 食品类别, 风险等级]
  answer: BCD
  explanation: 第60号令第三条列明企业规模、食品类别、风险等级等。
  citation: {source: samr-60, article: 3}
"""
SECTOR_LIST = "['general', 'production', 'retail', 'catering', 'special', 'canteen']"


def test_a_valid_bank_loads_every_type(scratch: Path) -> None:
    write(scratch / "quiz" / "general.yaml", SINGLE + JUDGE + MULTIPLE)
    single, judge, multiple = load_bank(scratch / "quiz")
    assert single == Question(
        id="q-001",
        type="single",
        sectors=frozenset({"general"}),
        roles=frozenset({"director", "officer"}),
        difficulty=1,
        topic="主体责任与人员",
        stem="按照总局令第60号，谁对本企业的食品安全工作全面负责？",
        options=("企业主要负责人", "食品安全员", "质量部门经理", "食品安全总监"),
        answer=frozenset({0}),
        explanation="第60号令第三条规定企业主要负责人全面负责。",
        citation=Citation("samr-60", 3),
        file="general.yaml",
        line=1,
    )
    assert (judge.options, judge.answer, judge.line, judge.topic) == (
        JUDGE_OPTIONS,
        frozenset({1}),
        12,
        "综合",
    )
    assert (multiple.answer, multiple.line) == (frozenset({1, 2, 3}), 21)
    assert [q.letters(q.answer) for q in (single, judge, multiple)] == ["A", "错", "BCD"]


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        (SINGLE, "A", None),
        (SINGLE, "d", None),
        (SINGLE, "E", "answer 不合法：'E'"),
        (SINGLE, "AB", "answer 不合法：'AB'"),
        (SINGLE, "甲", "answer 不合法：'甲'"),
        (SINGLE, "", "answer 不合法：None"),
        (MULTIPLE, "A, C", None),
        (MULTIPLE, "A", "answer 不合法：'A'"),
        (MULTIPLE, "AAB", "answer 不合法：'AAB'"),
        (MULTIPLE, "ABE", "answer 不合法：'ABE'"),
        (JUDGE, "对", None),
        (JUDGE, "√", None),
        (JUDGE, "false", None),
        (JUDGE, "是", "answer 不合法：'是'"),
        (JUDGE, "A", "answer 不合法：'A'"),
    ],
    ids=[
        "single-A",
        "single-lowercase",
        "single-letter-beyond-options",
        "single-two-letters",
        "single-chinese",
        "single-empty",
        "multiple-with-comma",
        "multiple-one-letter",
        "multiple-repeated-letter",
        "multiple-letter-beyond-options",
        "judge-dui",
        "judge-tick",
        "judge-false",
        "judge-shi",
        "judge-letter",
    ],
)
def test_answer_letters_are_checked_against_type_and_options(
    scratch: Path, question: str, answer: str, expected: str | None
) -> None:
    old = next(line for line in question.splitlines() if line.startswith("  answer:"))
    write(scratch / "quiz" / "a.yaml", question.replace(old, f"  answer: {answer}"))
    if expected is None:
        assert len(load_bank(scratch / "quiz")) == 1
    else:
        assert problems(load_bank, scratch / "quiz") == [f"quiz/a.yaml:1: {expected}"]


@pytest.mark.parametrize(
    ("question", "options", "expected"),
    [
        (SINGLE, "[对, 错]", ["单选题应有 3-5 个选项，现在 2 个"]),
        (SINGLE, "[甲, 乙, 丙, 丁, 戊, 己]", ["单选题应有 3-5 个选项，现在 6 个"]),
        (MULTIPLE, "[甲, 乙, 丙]", ["多选题应有 4-6 个选项，现在 3 个", "answer 不合法：'BCD'"]),
        (MULTIPLE, "[甲, 乙, 丙, 丁, 戊, 己, 庚]", ["多选题应有 4-6 个选项，现在 7 个"]),
        (SINGLE, "[甲, 乙, 甲]", ["选项有重复"]),
        (SINGLE, "[]", ["单选题应有 3-5 个选项，现在 0 个", "answer 不合法：'A'"]),
        (SINGLE, "", ["options 应为非空选项列表", "answer 不合法：'A'"]),
        (SINGLE, "[甲, '  ', 丙]", ["options 应为非空选项列表", "answer 不合法：'A'"]),
    ],
    ids=[
        "single-2",
        "single-6",
        "multiple-3",
        "multiple-7",
        "repeated-option",
        "empty-list",
        "no-options",
        "blank-option",
    ],
)
def test_option_counts_are_checked_per_type(
    scratch: Path, question: str, options: str, expected: list[str]
) -> None:
    old = next(line for line in question.splitlines() if line.startswith("  options:"))
    write(scratch / "quiz" / "a.yaml", question.replace(old, f"  options: {options}"))
    assert problems(load_bank, scratch / "quiz") == [f"quiz/a.yaml:1: {m}" for m in expected]


def test_a_judge_question_must_not_list_options(scratch: Path) -> None:
    write(
        scratch / "quiz" / "a.yaml",
        JUDGE.replace("  answer: 错", "  options: [对, 错]\n  answer: 错"),
    )
    assert problems(load_bank, scratch / "quiz") == ["quiz/a.yaml:1: 判断题不要写 options"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("type: single", "type: essay", "type 只能是 single、multiple、judge：'essay'"),
        ("sectors: [general]", "sectors: [bakery]", f"sectors 只能取 {SECTOR_LIST}：['bakery']"),
        (
            "roles: [director, officer]",
            "roles: [boss]",
            "roles 只能取 ['director', 'officer']：['boss']",
        ),
        ("difficulty: 1", "difficulty: 5", "difficulty 应为 1、2 或 3：5"),
        (
            "explanation: 第60号令第三条规定企业主要负责人全面负责。",
            "explanation: ''",
            "缺少 explanation（解析）",
        ),
        (
            "article: 3}",
            "article: 23}",
            "企业落实食品安全主体责任监督管理规定没有第23条（共22条）",
        ),
        ("id: q-001", "id: Q 001", "id 应为小写字母、数字、下划线或连字符：'Q 001'"),
    ],
    ids=["type", "sector", "role", "difficulty", "explanation", "citation", "id"],
)
def test_other_fields_are_validated(scratch: Path, old: str, new: str, expected: str) -> None:
    assert old in SINGLE
    write(scratch / "quiz" / "a.yaml", SINGLE.replace(old, new))
    assert problems(load_bank, scratch / "quiz") == [f"quiz/a.yaml:1: {expected}"]


def test_duplicate_ids_and_stems_across_files_name_the_first(scratch: Path) -> None:
    write(scratch / "quiz" / "a.yaml", SINGLE + JUDGE)
    same_stem = SINGLE.replace("id: q-001", "id: q-101").replace(
        "按照总局令第60号，谁对本企业的食品安全工作全面负责？",
        "按照总局令第 60 号, 谁对本企业的食品安全工作全面负责?",
    )
    write(scratch / "quiz" / "b.yaml", same_stem + JUDGE)
    assert problems(load_bank, scratch / "quiz") == [
        "quiz/b.yaml:1: 题干与 a.yaml:1 重复",
        "quiz/b.yaml:12: id 'q-002' 与 a.yaml:12 重复",
    ]


def test_question_from_fields_collects_every_problem_of_one_question() -> None:
    found = Problems()
    fields = {"id": "x1", "type": "single", "options": ["甲", "乙", "丙"], "answer": "D"}
    assert question_from_fields(fields, Path("sheet.csv"), 7, found) is None
    assert found.items == [
        "sheet.csv:7: 缺少 stem（题干）",
        "sheet.csv:7: answer 不合法：'D'",
        f"sheet.csv:7: sectors 只能取 {SECTOR_LIST}：None",
        "sheet.csv:7: roles 只能取 ['director', 'officer']：None",
        "sheet.csv:7: 缺少 explanation（解析）",
        "sheet.csv:7: 引用应为 {source: 键, article: 条号}",
    ]


HEADER = [
    "题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "行业", "岗位", "难度",
    "依据", "条号",
]  # fmt: skip
ROWS: list[list[str | int | None]] = [
    ["单选", "谁对本企业的食品安全工作全面负责？", "主要负责人", "食品安全员", "质量经理",
     "供货商", "A", "第60号令第三条。", "餐饮服务、食品销售", "总监", 1, "samr-60", 3],
    ["判断题", "食品安全员每周至少开展一次风险排查。", None, None, None, None,
     "错", "应当每日检查。", None, "安全员", 2, "samr-60", 9],
    ["多选", "下列哪些属于风险防控清单的内容？", "甲", "乙", "丙", "丁",
     "A", "多选至少两个答案。", "production", None, None, "samr-60", 7],
    ["单选", "新法第二百条规定了什么？", "甲", "乙", "丙", None,
     "B", "没有这一条。", "通用", None, None, "fsl", 200],
]  # fmt: skip


def write_sheet(path: Path) -> Path:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows([["" if v is None else v for v in row] for row in ROWS])
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(HEADER)
        for row in ROWS:
            sheet.append(row)
        book.save(path)
    return path


@pytest.mark.parametrize("name", ["bank.csv", "bank.xlsx"], ids=["csv", "xlsx"])
def test_an_official_sheet_imports_with_row_numbers_in_its_problems(
    scratch: Path, name: str
) -> None:
    questions, found = load_sheet(write_sheet(scratch / name), id_prefix="sd")
    assert found == [
        f"{name}:4: answer 不合法：'A'",
        f"{name}:5: 中华人民共和国食品安全法没有第200条（共154条）",
    ]
    single, judge = questions
    assert (single.id, single.type, single.sectors, single.roles) == (
        "sd-0001",
        "single",
        frozenset({"catering", "retail"}),
        frozenset({"director"}),
    )
    assert (single.options, single.answer, single.citation, single.line) == (
        ("主要负责人", "食品安全员", "质量经理", "供货商"),
        frozenset({0}),
        Citation("samr-60", 3),
        2,
    )
    assert (judge.id, judge.type, judge.options, judge.answer) == (
        "sd-0002",
        "judge",
        JUDGE_OPTIONS,
        frozenset({1}),
    )
    assert (judge.sectors, judge.roles, judge.difficulty) == (
        frozenset({"general"}),
        frozenset({"officer"}),
        2,
    )


def test_imported_questions_join_the_bank_and_duplicates_are_refused(scratch: Path) -> None:
    write(scratch / "quiz" / "a.yaml", SINGLE.replace("按照总局令第60号，", ""))
    imported, found = load_sheet(write_sheet(scratch / "bank.csv"))
    assert len(found) == 2
    assert problems(load_bank, scratch / "quiz", imported) == ["bank.csv:2: 题干与 a.yaml:1 重复"]
    write(scratch / "quiz" / "a.yaml", SINGLE)
    assert [q.id for q in load_bank(scratch / "quiz", imported)] == [
        "q-001",
        "imp-0001",
        "imp-0002",
    ]
