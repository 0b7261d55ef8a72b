"""风险管控清单 templates per sector (data/checklists/*.yaml), validated with file:line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.loader import Citation, citation_list
from knowledge.vocab import DATA_DIR
from knowledge.yamlfile import DataError, Problems, check_item, line_of, load_with_lines

__all__ = [
    "MAX_ITEM_TEXT",
    "SECTORS",
    "Checklist",
    "ChecklistItem",
    "DataError",
    "load_checklists",
]

# The sectors an enterprise registers under; each has one template file named after its key.
SECTORS = {
    "production": "食品生产",
    "retail": "食品销售",
    "catering": "餐饮服务",
    "canteen": "集中用餐单位食堂",
    "special": "特殊食品生产",
}
MAX_ITEM_TEXT = 120
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_ITEM_FIELDS = {"id", "area", "text", "citations", "__line__"}


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One thing to look at every day, with the articles that require it."""

    id: str
    area: str
    text: str
    citations: tuple[Citation, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Checklist:
    """A sector's template: the list an enterprise starts from."""

    sector: str
    title: str
    items: tuple[ChecklistItem, ...]
    file: str


def _item(raw: Any, path: Path, problems: Problems, seen: set[str]) -> ChecklistItem | None:
    line = line_of(raw)
    before = len(problems.items)
    shape = "检查项应为一个映射（id、area、text、citations）"
    if not check_item(raw, path, problems, fields=_ITEM_FIELDS, id_re=_ID_RE, shape=shape):
        return None
    item_id = raw.get("id")
    if isinstance(item_id, str) and _ID_RE.match(item_id) and item_id in seen:
        problems.add(path, line, f"id {item_id!r} 重复")
    area, text = raw.get("area"), raw.get("text")
    if not isinstance(area, str) or not area.strip() or len(area) > 10:
        problems.add(path, line, f"area 应为 1-10 字的类别：{area!r}")
    if not isinstance(text, str) or not text.strip():
        problems.add(path, line, "缺少 text")
    elif len(text.strip()) > MAX_ITEM_TEXT:
        problems.add(path, line, f"text 有 {len(text.strip())} 字，超过 {MAX_ITEM_TEXT} 字")
    citations = citation_list(raw.get("citations"), path, line, problems)
    if len(problems.items) > before:
        return None
    seen.add(str(item_id))
    return ChecklistItem(
        id=str(item_id),
        area=str(area).strip(),
        text=str(text).strip(),
        citations=tuple(citations),
        line=line or 0,
    )


def _checklist(path: Path, problems: Problems) -> Checklist | None:
    data = load_with_lines(path, problems)
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.add(path, 1, "文件应为一个映射：sector 和 items")
        return None
    sector = data.get("sector")
    if sector not in SECTORS:
        problems.add(path, line_of(data), f"sector 只能取 {sorted(SECTORS)}：{sector!r}")
        return None
    if path.stem != sector:
        problems.add(path, line_of(data), f"文件名应为 {sector}.yaml")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.add(path, line_of(data), "items 应为非空的检查项列表")
        return None
    seen: set[str] = set()
    items = [i for raw in raw_items if (i := _item(raw, path, problems, seen)) is not None]
    return Checklist(str(sector), SECTORS[str(sector)], tuple(items), path.name)


def load_checklists(directory: Path | None = None) -> dict[str, Checklist]:
    """Every sector's template; raise DataError listing all problems as file:line."""
    folder = directory or DATA_DIR / "checklists"
    problems = Problems()
    found: dict[str, Checklist] = {}
    paths = sorted(folder.glob("*.yaml"))
    for path in paths:
        checklist = _checklist(path, problems)
        if checklist is not None:
            found[checklist.sector] = checklist
    stems = {p.stem for p in paths}
    for sector, title in SECTORS.items():
        if sector not in stems:
            problems.add(folder, None, f"缺少{title}的清单模板 {sector}.yaml")
    problems.raise_if_any()
    return found
