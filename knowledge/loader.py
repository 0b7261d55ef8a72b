"""Load and validate the FAQ entries; a bad file fails start-up with file:line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.vocab import DATA_DIR, Source, business_types, sources, topics
from knowledge.wording import tidy
from knowledge.yamlfile import DataError, Problems, check_item, line_of, load_with_lines

__all__ = [
    "Citation",
    "DataError",
    "Entry",
    "citation_list",
    "load_entries",
    "validate_citation",
]

MAX_ANSWER = 400
MIN_PARAPHRASES = 4
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_FIELDS = {
    "id",
    "topic",
    "question",
    "paraphrases",
    "answer",
    "detail",
    "business_types",
    "tags",
    "citations",
    "__line__",
}


@dataclass(frozen=True, slots=True)
class Citation:
    """An article of a statute in sources.yaml."""

    source: str
    article: int

    @property
    def statute(self) -> Source:
        """The cited statute's title, effective date and corpus file."""
        return sources()[self.source]


@dataclass(frozen=True, slots=True)
class Entry:
    """One question the bot can answer, with how users ask it and what it rests on."""

    id: str
    topic: str
    question: str
    paraphrases: tuple[str, ...]
    answer: str
    detail: str
    business_types: frozenset[str]
    tags: tuple[str, ...]
    citations: tuple[Citation, ...]
    file: str
    line: int

    def applies_to(self, business_type: str | None) -> bool:
        """True when the entry binds or concerns this kind of business."""
        return (
            business_type is None
            or "all" in self.business_types
            or (business_type in self.business_types)
        )


def validate_citation(raw: Any) -> tuple[Citation | None, str | None]:
    """Turn {source, article} into a Citation, or say what is wrong with it."""
    if not isinstance(raw, dict):
        return None, "引用应为 {source: 键, article: 条号}"
    key, article = raw.get("source"), raw.get("article")
    known = sources()
    if key not in known:
        return None, f"未知的引用来源 {key!r}（见 sources.yaml）"
    if not isinstance(article, int) or isinstance(article, bool):
        return None, f"条号应为整数：{article!r}"
    if not 1 <= article <= known[key].articles:
        return None, f"{known[key].title}没有第{article}条（共{known[key].articles}条）"
    return Citation(key, article), None


def citation_list(raw: Any, path: Path, line: int | None, problems: Problems) -> list[Citation]:
    """A non-empty list of {source, article}; each bad one is recorded at its own line."""
    citations: list[Citation] = []
    if not isinstance(raw, list) or not raw:
        problems.add(path, line, "至少需要一条 citations")
        return citations
    for one in raw:
        citation, error = validate_citation(one)
        if error:
            problems.add(path, line_of(one) or line, error)
        elif citation:
            citations.append(citation)
    return citations


def _strings(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return [v.strip() for v in value]


def _entry(item: Any, path: Path, problems: Problems) -> Entry | None:
    line = line_of(item)
    before = len(problems.items)
    shape = "条目应为一个映射（id、question、answer ……）"
    if not check_item(item, path, problems, fields=_FIELDS, id_re=_ID_RE, shape=shape):
        return None
    entry_id = item.get("id")
    for key in ("question", "answer"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            problems.add(path, line, f"缺少 {key}")
    answer = tidy(str(item.get("answer", "")).strip())
    if len(answer) > MAX_ANSWER:
        problems.add(
            path, line, f"answer 有 {len(answer)} 字，超过 {MAX_ANSWER} 字；长内容放 detail"
        )
    if item.get("topic") not in topics():
        problems.add(path, line, f"topic {item.get('topic')!r} 不在 topics.yaml 中")
    paraphrases = _strings(item.get("paraphrases"))
    if paraphrases is None or len(paraphrases) < MIN_PARAPHRASES:
        problems.add(path, line, f"paraphrases 至少 {MIN_PARAPHRASES} 条")
    kinds = _strings(item.get("business_types"))
    allowed = set(business_types()) | {"all"}
    if not kinds or not set(kinds) <= allowed:
        problems.add(path, line, f"business_types 只能取 {sorted(allowed)}：{kinds!r}")
    citations = citation_list(item.get("citations"), path, line, problems)
    raw_tags = item.get("tags") or []
    tags = _strings([str(t) for t in raw_tags] if isinstance(raw_tags, list) else raw_tags)
    if tags is None:
        problems.add(path, line, "tags 应为字符串列表")
    if len(problems.items) > before:
        return None
    return Entry(
        id=str(entry_id),
        topic=str(item["topic"]),
        question=tidy(str(item["question"]).strip()),
        paraphrases=tuple(paraphrases or ()),
        answer=answer,
        detail=tidy(str(item.get("detail") or "").strip()),
        business_types=frozenset(kinds or ()),
        tags=tuple(tags or ()),
        citations=tuple(citations),
        file=path.name,
        line=line or 0,
    )


def load_entries(directory: Path | None = None) -> list[Entry]:
    """Read every faq/*.yaml; raise DataError listing all problems as file:line."""
    folder = directory or DATA_DIR / "faq"
    problems = Problems()
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    files = sorted(folder.glob("*.yaml"))
    if not files:
        problems.add(folder, None, "没有知识库文件（faq/*.yaml）")
    for path in files:
        data = load_with_lines(path, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.add(path, 1, "文件应为条目列表")
            continue
        for item in data:
            entry = _entry(item, path, problems)
            if entry is None:
                continue
            if entry.id in seen:
                problems.add(path, entry.line, f"id {entry.id!r} 与 {seen[entry.id]} 重复")
                continue
            seen[entry.id] = f"{path.name}:{entry.line}"
            entries.append(entry)
    problems.raise_if_any()
    return entries
