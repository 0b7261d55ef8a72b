"""The 抽考 question bank: YAML files plus spreadsheet imports, validated with file:line."""

from __future__ import annotations

import contextlib
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.loader import Citation, validate_citation
from knowledge.vocab import DATA_DIR
from knowledge.yamlfile import Problems, line_of, load_with_lines

__all__ = [
    "JUDGE_OPTIONS",
    "ROLES",
    "SECTORS",
    "TYPES",
    "Question",
    "load_bank",
    "load_sheet",
    "question_from_fields",
]

SECTORS = {
    "general": "通用",
    "production": "食品生产",
    "retail": "食品销售",
    "catering": "餐饮服务",
    "special": "特殊食品",
    "canteen": "集中用餐单位",
}
ROLES = {"director": "食品安全总监", "officer": "食品安全员"}
TYPES = {"single": "单选题", "multiple": "多选题", "judge": "判断题"}
JUDGE_OPTIONS = ("正确", "错误")
_LETTERS = "ABCDEF"
_OPTION_COUNTS = {"single": (3, 5), "multiple": (4, 6)}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")


@dataclass(frozen=True, slots=True)
class Question:
    """One bank question; answer holds option indexes (judge: 0 正确, 1 错误)."""

    id: str
    type: str
    sectors: frozenset[str]
    roles: frozenset[str]
    difficulty: int
    topic: str
    stem: str
    options: tuple[str, ...]
    answer: frozenset[int]
    explanation: str
    citation: Citation
    file: str
    line: int

    def letters(self, indexes: frozenset[int] | set[int]) -> str:
        """Indexes as letters in order (judge: 对/错)."""
        if self.type == "judge":
            return "".join("对" if i == 0 else "错" for i in sorted(indexes))
        return "".join(_LETTERS[i] for i in sorted(indexes))


def _answer(kind: str, raw: Any, n_options: int) -> frozenset[int] | None:
    text = str(raw).strip().upper().replace(",", "").replace("，", "").replace(" ", "")
    if kind == "judge":
        table = {"对": 0, "正确": 0, "√": 0, "TRUE": 0, "错": 1, "错误": 1, "×": 1, "FALSE": 1}
        return frozenset({table[text]}) if text in table else None
    if (
        not text
        or any(ch not in _LETTERS[:n_options] for ch in text)
        or len(set(text)) != len(text)
    ):
        return None
    picked = frozenset(_LETTERS.index(ch) for ch in text)
    if kind == "single" and len(picked) != 1:
        return None
    if kind == "multiple" and len(picked) < 2:
        return None
    return picked


def question_from_fields(
    fields: dict[str, Any], path: Path, line: int, problems: Problems
) -> Question | None:
    """Validate one question's fields (from YAML or a spreadsheet row)."""
    before = len(problems.items)

    def bad(message: str) -> None:
        problems.add(path, line, message)

    qid = fields.get("id")
    if not isinstance(qid, str) or not _ID_RE.match(qid):
        bad(f"id 应为小写字母、数字、下划线或连字符：{qid!r}")
    kind = fields.get("type")
    if kind not in TYPES:
        bad(f"type 只能是 single、multiple、judge：{kind!r}")
        kind = "single"
    stem = str(fields.get("stem") or "").strip()
    if not stem:
        bad("缺少 stem（题干）")
    options: list[str] = []
    if kind == "judge":
        if fields.get("options"):
            bad("判断题不要写 options")
        options = list(JUDGE_OPTIONS)
    else:
        raw = fields.get("options")
        low, high = _OPTION_COUNTS[str(kind)]
        if not isinstance(raw, list) or not all(str(o).strip() for o in raw):
            bad("options 应为非空选项列表")
        else:
            options = [str(o).strip() for o in raw]
            if not low <= len(options) <= high:
                bad(f"{TYPES[str(kind)]}应有 {low}-{high} 个选项，现在 {len(options)} 个")
            if len(set(options)) != len(options):
                bad("选项有重复")
    answer = _answer(str(kind), fields.get("answer", ""), len(options))
    if answer is None:
        bad(f"answer 不合法：{fields.get('answer')!r}")
    sectors = fields.get("sectors")
    if not isinstance(sectors, list) or not sectors or not set(sectors) <= set(SECTORS):
        bad(f"sectors 只能取 {list(SECTORS)}：{sectors!r}")
        sectors = []
    roles = fields.get("roles")
    if not isinstance(roles, list) or not roles or not set(roles) <= set(ROLES):
        bad(f"roles 只能取 {list(ROLES)}：{roles!r}")
        roles = []
    difficulty = fields.get("difficulty", 1)
    if difficulty not in (1, 2, 3):
        bad(f"difficulty 应为 1、2 或 3：{difficulty!r}")
    explanation = str(fields.get("explanation") or "").strip()
    if not explanation:
        bad("缺少 explanation（解析）")
    citation, error = validate_citation(fields.get("citation"))
    if error:
        bad(error)
    if len(problems.items) > before or citation is None or answer is None:
        return None
    return Question(
        id=str(qid),
        type=str(kind),
        sectors=frozenset(sectors),
        roles=frozenset(roles),
        difficulty=int(difficulty),
        topic=str(fields.get("topic") or "综合").strip(),
        stem=stem,
        options=tuple(options),
        answer=answer,
        explanation=explanation,
        citation=citation,
        file=path.name,
        line=line,
    )


def _dedupe(
    questions: list[Question], problems: Problems, path_of: dict[str, Path]
) -> list[Question]:
    ids: dict[str, Question] = {}
    stems: dict[str, Question] = {}
    kept: list[Question] = []
    for q in questions:
        stem_key = re.sub(r"[\s\W_]+", "", q.stem)
        if q.id in ids:
            problems.add(
                path_of[q.file], q.line, f"id {q.id!r} 与 {ids[q.id].file}:{ids[q.id].line} 重复"
            )
        elif stem_key in stems:
            other = stems[stem_key]
            problems.add(path_of[q.file], q.line, f"题干与 {other.file}:{other.line} 重复")
        else:
            ids[q.id] = stems[stem_key] = q
            kept.append(q)
    return kept


def load_bank(
    directory: Path | None = None, extra: list[Question] | None = None
) -> list[Question]:
    """Every quiz/*.yaml (plus imported questions); raise DataError listing all problems."""
    folder = directory or DATA_DIR / "quiz"
    problems = Problems()
    questions: list[Question] = []
    path_of: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        path_of[path.name] = path
        data = load_with_lines(path, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.add(path, 1, "文件应为题目列表")
            continue
        for item in data:
            line = line_of(item) or 0
            if not isinstance(item, dict):
                problems.add(path, line, "每道题应为一个映射")
                continue
            q = question_from_fields(item, path, line, problems)
            if q is not None:
                questions.append(q)
    for q in extra or []:
        path_of.setdefault(q.file, Path(q.file))
        questions.append(q)
    kept = _dedupe(questions, problems, path_of)
    problems.raise_if_any()
    return kept


_SHEET_COLUMNS = {
    "编号": "id",
    "题型": "type",
    "题干": "stem",
    "答案": "answer",
    "解析": "explanation",
    "行业": "sectors",
    "岗位": "roles",
    "难度": "difficulty",
    "主题": "topic",
    "依据": "source",
    "条号": "article",
}
_TYPE_NAMES = {
    "单选": "single",
    "单选题": "single",
    "多选": "multiple",
    "多选题": "multiple",
    "判断": "judge",
    "判断题": "judge",
}
_SECTOR_NAMES = {v: k for k, v in SECTORS.items()} | {k: k for k in SECTORS}
_ROLE_NAMES = (
    {"总监": "director", "安全员": "officer"}
    | {v: k for k, v in ROLES.items()}
    | {k: k for k in ROLES}
)


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:  # a read-only workbook keeps its file open until closed
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(c is not None for c in r)]


def _split(value: Any, table: dict[str, str]) -> list[str]:
    parts = re.split(r"[,，、/;； ]+", str(value or "").strip())
    return [table.get(p, p) for p in parts if p]


def load_sheet(path: Path, *, id_prefix: str = "imp") -> tuple[list[Question], list[str]]:
    """Read an official bank from xlsx or CSV (题型 题干 选项A-F 答案 解析 行业 岗位 …)."""
    problems = Problems()
    questions: list[Question] = []
    for number, row in enumerate(_rows(path), start=2):
        row = {str(k).strip(): v for k, v in row.items() if k}
        fields: dict[str, Any] = {
            _SHEET_COLUMNS[k]: v for k, v in row.items() if k in _SHEET_COLUMNS
        }
        fields["type"] = _TYPE_NAMES.get(str(fields.get("type", "")).strip(), fields.get("type"))
        fields["id"] = str(fields.get("id") or f"{id_prefix}-{number - 1:04d}").strip().lower()
        options = [row.get(f"选项{ch}") for ch in _LETTERS]
        fields["options"] = [str(o).strip() for o in options if o not in (None, "")] or None
        fields["sectors"] = _split(fields.get("sectors") or "general", _SECTOR_NAMES)
        fields["roles"] = _split(fields.get("roles") or "总监,安全员", _ROLE_NAMES)
        try:
            fields["difficulty"] = int(fields.get("difficulty") or 1)
        except ValueError:
            fields["difficulty"] = fields.get("difficulty")
        article = fields.pop("article", None)
        with contextlib.suppress(ValueError):  # a non-number stays and fails validation
            article = int(str(article).strip()) if article not in (None, "") else None
        fields["citation"] = {
            "source": str(fields.pop("source", "") or "").strip(),
            "article": article,
        }
        q = question_from_fields(fields, path, number, problems)
        if q is not None:
            questions.append(q)
    return questions, problems.items
