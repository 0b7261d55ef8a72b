"""The 抽考 question bank as the bot uses it: the YAML files plus imported spreadsheets."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from bot.models import ImportedQuestion
from knowledge.quiz import Question, load_bank, load_sheet
from knowledge.quiz import question_from_fields as _from_fields
from knowledge.yamlfile import Problems

__all__ = ["Bank", "import_sheet", "load_exam_bank"]


@dataclass(frozen=True, slots=True)
class Bank:
    """The YAML bank plus imported questions; attempts refer to questions by id."""

    questions: tuple[Question, ...]
    by_id: Mapping[str, Question]

    @classmethod
    def of(cls, questions: Sequence[Question]) -> Bank:
        """A bank over these questions."""
        return cls(tuple(questions), {q.id: q for q in questions})


@cache
def _yaml_bank() -> tuple[Question, ...]:
    return tuple(load_bank())


def _question_fields(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "type": q.type,
        "stem": q.stem,
        "options": list(q.options) if q.type != "judge" else None,
        "answer": q.letters(q.answer),
        "sectors": sorted(q.sectors),
        "roles": sorted(q.roles),
        "difficulty": q.difficulty,
        "topic": q.topic,
        "explanation": q.explanation,
        "citation": {"source": q.citation.source, "article": q.citation.article},
    }


def load_exam_bank(session: Session, base: Sequence[Question] | None = None) -> Bank:
    """The validated YAML bank (loaded once per process) plus the imported questions."""
    questions = list(_yaml_bank() if base is None else base)
    known = {q.id for q in questions}
    problems = Problems()
    for row in session.exec(select(ImportedQuestion).order_by(col(ImportedQuestion.id))):
        fields = json.loads(row.data)
        q = _from_fields(fields, Path(row.source_file), 0, problems)
        if q is not None and q.id not in known:
            questions.append(q)
            known.add(q.id)
    return Bank.of(questions)


def import_sheet(session: Session, path: Path, bank: Bank) -> tuple[int, list[str]]:
    """Import an xlsx/CSV bank: all rows or none; re-importing an id replaces it."""
    questions, problems = load_sheet(path)
    imported = {r.id for r in session.exec(select(ImportedQuestion))}
    stems = {q.stem: q for q in bank.questions if q.id not in imported}
    for q in questions:
        if q.id in bank.by_id and q.id not in imported:
            problems.append(f"{path.name}:{q.line}: 编号 {q.id} 与题库中已有的题目重复")
        elif q.stem in stems:
            problems.append(f"{path.name}:{q.line}: 题干与题库中的 {stems[q.stem].id} 重复")
    if problems or not questions:
        return 0, problems or [f"{path.name}: 没有题目"]
    for q in questions:
        row = session.get(ImportedQuestion, q.id) or ImportedQuestion(
            id=q.id, data="", source_file=path.name
        )
        row.data = json.dumps(_question_fields(q), ensure_ascii=False)
        row.source_file = path.name
        session.add(row)
    session.commit()
    return len(questions), []
