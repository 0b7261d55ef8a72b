"""What users read is written one way: 第六十三条, “quotes”, no ASCII space between sentences.

The knowledge base is scanned as loaded (tidy() runs in the loader), the other data files and
the templates as written, so the mixed forms of issue 12 item 17 cannot come back unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.loader import load_entries
from knowledge.wording import tidy

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "knowledge" / "data"
TEMPLATES = ROOT / "bot" / "templates"
CJK = "\u4e00-\u9fff"
FORMS = {
    "article in Arabic numerals": re.compile(r"第\d[\d、，,\-–~至]*[条款项]"),
    "ASCII quote in Chinese": re.compile(f"[{CJK}][\"']|[\"'][{CJK}]"),
    "ASCII space between sentences": re.compile(f"[。！？；] +[{CJK}“（《]"),
}
NOT_SHOWN = {"paraphrases", "id", "citation", "citations", "tags"}  # matched, never displayed


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("按山东条例第63条：先给予警告", "按山东条例第六十三条：先给予警告"),
        ("（第125条第2款）", "（第一百二十五条第二款）"),
        ("第63、102-108、128条", "第六十三条、第一百零二条至第一百零八条、第一百二十八条"),
        ("60号令第11-13、16条", "60号令第十一条至第十三条、第十六条"),
        ("总局令第60号", "总局令第60号"),
        ('不属于"仅销售预包装食品"，要办许可', "不属于“仅销售预包装食品”，要办许可"),
        ('只有一个"引号', '只有一个"引号'),
        ("由部门审批。 两种例外：\n①只卖", "由部门审批。两种例外：\n①只卖"),
        ("审批。 ①只卖农产品", "审批。①只卖农产品"),
        ("罚 5000 元以下", "罚 5000 元以下"),
    ],
)
def test_tidy(written: str, read: str) -> None:
    assert tidy(written) == read


def _found(text: str) -> list[str]:
    return [
        f"{name}: …{text[max(0, m.start() - 12) : m.end() + 12]}…"
        for name, pattern in FORMS.items()
        for m in pattern.finditer(text)
    ]


def _strings(node: Any, key: str = "") -> Iterator[str]:
    if isinstance(node, str) and key not in NOT_SHOWN:
        yield node
    elif isinstance(node, dict):
        for k, value in node.items():
            yield from _strings(value, str(k))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, key)


def test_the_loaded_knowledge_base_reads_one_way() -> None:
    problems = [
        f"{entry.id}: {problem}"
        for entry in load_entries()
        for text in (entry.question, entry.answer, entry.detail)
        for problem in _found(text)
    ]
    assert problems == []


@pytest.mark.parametrize("folder", ["quiz", "tips", "checklists"])
def test_the_other_data_files_read_one_way(folder: str) -> None:
    problems = [
        f"{path.relative_to(DATA)}: {problem}"
        for path in sorted((DATA / folder).rglob("*.y*ml"))
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8")))
        for problem in _found(text)
    ]
    assert problems == []


def test_the_templates_read_one_way() -> None:
    problems = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in (".j2", ".yaml"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".yaml":  # labels: the values are what users read
            shown = "\n".join(_strings(yaml.safe_load(text)))
        else:  # what is left outside jinja2 tags, HTML tags and comments
            shown = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>", "", text, flags=re.S)
        problems += [f"{path.relative_to(TEMPLATES)}: {p}" for p in _found(shown)]
    assert problems == []
