"""The exam paper: its definition (JSON in Exam.paper), the draw, option shuffling and scoring.

The default paper totals 100 points in 45 questions, 30 minutes, pass mark 80:

- 单选题 20 × 2 分 = 40: deadlines, numbers and who does what; one best answer;
- 多选题 10 × 3 分 = 30: duty lists and required records; harder, so more points each;
- 判断题 15 × 2 分 = 30: quick checks of common misconceptions.

The mix follows the bank itself (about half 单选, a quarter each 多选 and 判断) and leaves about
40 seconds per question. Each section draws at least half of its questions from the exam's
sector (the rest from 通用), only questions for the exam's role, spread over topics.

多选 scoring is all-or-nothing: the full points only when the chosen options are exactly the
key; a missing or a wrong option scores 0, because a 总监 who knows half of a duty list does not
know the duty. A paper may set ``multiple_partial`` (0 to 1): a chosen set that is a non-empty
proper subset of the key, with no wrong option, then earns that share of the points.
单选 and 判断 score their points when right, 0 otherwise. 判断 options (正确/错误) keep
their order; every other question's options are shuffled per attempt.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from knowledge.quiz import ROLES, SECTORS, TYPES, Question

__all__ = [
    "DEFAULT_SECTIONS",
    "Paper",
    "PaperError",
    "Section",
    "coverage",
    "default_paper",
    "draw_exam",
    "draw_practice",
    "in_pool",
    "option_order",
    "paper_from_values",
    "score_answer",
    "shortfall",
    "smallest_pools",
]

DEFAULT_SECTIONS = (("single", 20, 2.0), ("multiple", 10, 3.0), ("judge", 15, 2.0))
PRACTICE_SIZE = 10
MAX_QUESTIONS = 90  # Telegram allows 100 buttons on a message; the sheet needs one per question


class PaperError(ValueError):
    """A paper definition is invalid or the bank cannot fill it; args[0] lists the problems.

    fields names the setting each problem is about (a form shows it next to that field).
    """

    def __init__(self, problems: list[str], fields: Mapping[str, str] | None = None) -> None:
        super().__init__(problems)
        self.problems = problems
        self.fields = dict(fields or {})

    def __str__(self) -> str:
        return "；".join(self.problems)


@dataclass(frozen=True, slots=True)
class Section:
    """count questions of one type, each worth points."""

    type: str
    count: int
    points: float


@dataclass(frozen=True, slots=True)
class Paper:
    """What an exam draws and how it is scored; stored as JSON on the Exam row."""

    sections: tuple[Section, ...]
    minutes: int
    pass_mark: float
    multiple_partial: float = 0.0
    sector_share: float = 0.5

    @property
    def total(self) -> float:
        """The paper's full marks."""
        return sum(s.count * s.points for s in self.sections)

    @property
    def size(self) -> int:
        """The number of questions."""
        return sum(s.count for s in self.sections)

    def to_json(self) -> str:
        """The JSON stored in Exam.paper."""
        data = asdict(self)
        data["sections"] = [asdict(s) for s in self.sections]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Paper:
        """Parse and validate a stored or admin-supplied paper; PaperError says what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PaperError([f"不是合法的 JSON：{exc.msg}（第{exc.lineno}行）"]) from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> Paper:
        """Validate a paper dict: sections, minutes, pass mark, partial share, sector share."""
        if not isinstance(data, dict):
            raise PaperError(["试卷应为 JSON 对象"])
        problems: list[str] = []
        sections = _sections(data.get("sections"), problems)
        if sum(s.count for s in sections) > MAX_QUESTIONS:  # the 答题卡 is one keyboard
            problems.append(f"题目总数不能超过 {MAX_QUESTIONS} 道")
        minutes = data.get("minutes", 30)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 5 <= minutes <= 240:
            problems.append(f"minutes 应为 5-240 的整数：{minutes!r}")
        total = sum(s.count * s.points for s in sections)
        pass_mark = _number(data.get("pass_mark", 80), "pass_mark", 0.01, total or 1, problems)
        partial = _number(data.get("multiple_partial", 0), "multiple_partial", 0, 0.99, problems)
        share = _number(data.get("sector_share", 0.5), "sector_share", 0, 1, problems)
        if problems:
            raise PaperError(problems)
        return cls(tuple(sections), int(minutes), pass_mark, partial, share)


def _number(value: Any, name: str, low: float, high: float, problems: list[str]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problems.append(f"{name} 应为 {low:g}-{high:g} 之间的数：{value!r}")
        return 0.0
    return float(value)


def _sections(raw: Any, problems: list[str]) -> list[Section]:
    if not isinstance(raw, list) or not raw:
        problems.append("sections 应为非空列表，如 [{type: single, count: 20, points: 2}]")
        return []
    sections: list[Section] = []
    for i, item in enumerate(raw, 1):
        kind = item.get("type") if isinstance(item, dict) else None
        count = item.get("count") if isinstance(item, dict) else None
        if kind not in TYPES:
            problems.append(f"第{i}部分 type 只能是 single、multiple、judge：{kind!r}")
        elif any(s.type == kind for s in sections):
            problems.append(f"第{i}部分 {kind} 重复")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100:
            problems.append(f"第{i}部分 count 应为 1-100 的整数：{count!r}")
        points = _number(
            item.get("points") if isinstance(item, dict) else None,
            f"第{i}部分 points",
            0.5,
            50,
            problems,
        )
        if kind in TYPES and isinstance(count, int) and points:
            sections.append(Section(str(kind), count, points))
    return sections


def default_paper(*, minutes: int = 30, pass_mark: float = 80) -> Paper:
    """The default 100-point paper (see the module docstring)."""
    return Paper(tuple(Section(*s) for s in DEFAULT_SECTIONS), minutes, float(pass_mark))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def paper_from_values(
    counts: Mapping[str, int],
    points: Mapping[str, float],
    *,
    minutes: int,
    pass_mark: float,
    multiple_partial: float = 0.0,
    sector_share: float = 0.5,
) -> Paper:
    """A paper from plain values (the bot's editor, the web console); PaperError in Chinese.

    counts and points are keyed by question type (single, multiple, judge); a count of 0 leaves
    that type out of the paper. The error's fields are keyed <type>_count, <type>_points,
    sections, minutes, pass_mark, multiple_partial and sector_share.
    """
    fields: dict[str, str] = {}
    sections = []
    for kind, name in TYPES.items():
        count, each = counts.get(kind, 0), points.get(kind, 0)
        if not (_is_int(count) and 0 <= count <= 100):
            fields[f"{kind}_count"] = f"{name}题数应为 0-100 的整数"
        elif count and not 0.5 <= each <= 50:
            fields[f"{kind}_points"] = f"{name}每题分值应在 0.5-50 分之间（现为 {each:g}）"
        elif count:
            sections.append(Section(kind, count, float(each)))
    size = sum(s.count for s in sections)
    if not sections and not fields:
        fields["sections"] = "至少要有一类题目（题数大于 0）"
    elif size > MAX_QUESTIONS:
        fields["sections"] = f"题目总数不能超过 {MAX_QUESTIONS} 道（现为 {size} 道）"
    total = sum(s.count * s.points for s in sections)
    if not (_is_int(minutes) and 5 <= minutes <= 240):
        fields["minutes"] = "限时应为 5-240 分钟的整数"
    if not 0 < pass_mark <= (total or math.inf):
        most = f"且不超过满分 {total:g} 分" if total else ""
        fields["pass_mark"] = f"合格线应大于 0 {most}（现为 {pass_mark:g} 分）".replace(
            " （", "（"
        )
    if not 0 <= multiple_partial < 1:
        fields["multiple_partial"] = "多选题少选得分比例应在 0 到 1 之间（不含 1）"
    if not 0 <= sector_share <= 1:
        fields["sector_share"] = "本行业题目占比应在 0% 到 100% 之间"
    if fields:
        raise PaperError(list(fields.values()), fields)
    return Paper(tuple(sections), minutes, float(pass_mark), multiple_partial, sector_share)


def smallest_pools(bank: Sequence[Question]) -> dict[str, int]:
    """Per question type, the most a paper may ask so that every sector and role can fill it."""
    return {
        kind: min(
            sum(1 for q in bank if q.type == kind and in_pool(q, sector, role))
            for sector in SECTORS
            for role in ROLES
        )
        for kind in TYPES
    }


def coverage(bank: Sequence[Question], paper: Paper) -> list[str]:
    """What the bank lacks to fill the paper, for every sector and role an exam may name."""
    return [
        problem
        for sector in SECTORS
        for role in ROLES
        for problem in shortfall(bank, sector, role, paper)
    ]


# --- the draw ---------------------------------------------------------------------------------


def in_pool(question: Question, sector: str, role: str) -> bool:
    """A question belongs to a sector's pool if it is that sector's or 通用, for that role."""
    return role in question.roles and (sector in question.sectors or "general" in question.sectors)


def _spread(questions: Iterable[Question], k: int, rng: random.Random) -> list[Question]:
    """k questions taken round-robin over topics so that no topic dominates."""
    by_topic: dict[str, list[Question]] = defaultdict(list)
    for q in sorted(questions, key=lambda q: q.id):
        by_topic[q.topic].append(q)
    groups = [by_topic[t] for t in sorted(by_topic)]
    for group in groups:
        rng.shuffle(group)
    rng.shuffle(groups)
    picked: list[Question] = []
    while len(picked) < k and any(groups):
        for group in groups:
            if group and len(picked) < k:
                picked.append(group.pop())
    return picked


def _check_target(sector: str, role: str) -> None:
    if sector not in SECTORS or role not in ROLES:
        raise PaperError([f"未知的行业或岗位：{sector!r} {role!r}"])


def shortfall(bank: Sequence[Question], sector: str, role: str, paper: Paper) -> list[str]:
    """What the bank lacks to fill the paper for this sector and role (empty: it can)."""
    _check_target(sector, role)
    problems = []
    for section in paper.sections:
        have = sum(1 for q in bank if q.type == section.type and in_pool(q, sector, role))
        if have < section.count:
            problems.append(
                f"{SECTORS[sector]}·{ROLES[role]}的{TYPES[section.type]}只有 {have} 道，"
                f"试卷需要 {section.count} 道"
            )
    return problems


def draw_exam(
    bank: Sequence[Question], sector: str, role: str, paper: Paper, rng: random.Random
) -> list[tuple[Question, float]]:
    """The questions of one sitting with their points, section by section, shuffled."""
    problems = shortfall(bank, sector, role, paper)
    if problems:
        raise PaperError(problems)
    drawn: list[tuple[Question, float]] = []
    for section in paper.sections:
        pool = [q for q in bank if q.type == section.type and in_pool(q, sector, role)]
        own = [q for q in pool if sector in q.sectors] if sector != "general" else []
        first = _spread(own, min(len(own), math.ceil(section.count * paper.sector_share)), rng)
        rest = _spread([q for q in pool if q not in first], section.count - len(first), rng)
        chosen = first + rest
        rng.shuffle(chosen)
        drawn += [(q, section.points) for q in chosen]
    return drawn


def draw_practice(
    bank: Sequence[Question], sector: str, role: str, rng: random.Random, size: int = PRACTICE_SIZE
) -> list[Question]:
    """A practice round: mixed types from the sector and 通用, for the role, spread over topics."""
    _check_target(sector, role)
    chosen = _spread([q for q in bank if in_pool(q, sector, role)], size, rng)
    rng.shuffle(chosen)
    return chosen


def option_order(question: Question, rng: random.Random) -> tuple[int, ...]:
    """Display order of the original option indexes; 判断 keeps 正确 before 错误."""
    order = list(range(len(question.options)))
    if question.type != "judge":
        rng.shuffle(order)
    return tuple(order)


# --- scoring ----------------------------------------------------------------------------------


def score_answer(
    question: Question, chosen: frozenset[int], points: float, *, multiple_partial: float = 0.0
) -> tuple[bool, float]:
    """(right, points earned) for the original option indexes chosen (see the 多选 rule above)."""
    if chosen == question.answer:
        return True, points
    partial = (
        question.type == "multiple"
        and multiple_partial > 0
        and bool(chosen)
        and chosen < question.answer
    )
    return False, round(points * multiple_partial, 2) if partial else 0.0
