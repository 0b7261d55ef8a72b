"""python -m bot kb check | stats | import — validate, count, import statutes."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from sqlmodel import col, select

from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.guidance.statutes import import_statute
from bot.models import Statute, StatuteArticle
from bot.schema import prepare
from knowledge.checklists import SECTORS as CHECKLIST_SECTORS
from knowledge.checklists import Checklist, load_checklists
from knowledge.loader import Entry, load_entries
from knowledge.quiz import SECTORS, TYPES, Question, load_bank
from knowledge.statutes import NotAStatute, parse_statute_file
from knowledge.tips import load_tips
from knowledge.vocab import sources
from knowledge.yamlfile import DataError

__all__ = ["check", "import_files", "stats"]


def _imported_articles(settings: Settings) -> tuple[dict[str, set[int]], dict[str, list[str]]]:
    """Articles of the imported versions the knowledge base cites, and other versions seen.

    A citation means the version in sources.yaml (its effective date); another imported version
    of the same statute (the superseded 2021 食品安全法, say) proves nothing about it.
    """
    engine = make_engine(settings.database_url)
    prepare(engine)
    with session_scope(engine) as session:
        rows = session.exec(
            select(
                Statute.source_key, col(Statute.effective), Statute.version, StatuteArticle.number
            ).join(StatuteArticle, col(StatuteArticle.statute_id) == col(Statute.id))
        ).all()
    engine.dispose()
    known = sources()
    found: dict[str, set[int]] = {}
    others: dict[str, list[str]] = {}
    for key, effective, version, number in rows:
        if key in known and effective == known[key].effective:
            found.setdefault(key, set()).add(number)
        elif version not in others.setdefault(key, []):
            others[key].append(version)
    return found, others


def check(settings: Settings) -> int:
    """Validate every knowledge file; with statutes imported, every citation must resolve."""
    problems: list[str] = []
    entries: list[Entry] = []
    bank: list[Question] = []
    try:
        entries = load_entries()
    except DataError as exc:
        problems.extend(exc.problems)
    try:
        bank = load_bank()
    except DataError as exc:
        problems.extend(exc.problems)
    try:
        load_tips()
    except DataError as exc:
        problems.extend(exc.problems)
    checklists: dict[str, Checklist] = {}
    try:
        checklists = load_checklists()
    except DataError as exc:
        problems.extend(exc.problems)
    imported, other_versions = _imported_articles(settings)
    for key, versions in other_versions.items():
        cited = sources().get(key)
        if cited is not None and key not in imported:
            problems.append(
                f"sources.yaml: 引用的是《{cited.title}》{cited.effective}施行版，"
                f"但导入的是 {'、'.join(versions)}：请导入引用的版本"
            )
    citations = [(f"{e.file}:{e.line}", c) for e in entries for c in e.citations]
    citations += [(f"{q.file}:{q.line}", q.citation) for q in bank]
    citations += [
        (f"checklists/{c.file}:{i.line}", citation)
        for c in checklists.values()
        for i in c.items
        for citation in i.citations
    ]
    for where, citation in citations:
        if citation.source in imported and citation.article not in imported[citation.source]:
            problems.append(
                f"{where}: 已导入的《{citation.statute.title}》中没有第{citation.article}条"
            )
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"知识库检查未通过：{len(problems)} 个问题", file=sys.stderr)
        return 1
    checked = sum(1 for _, c in citations if c.source in imported)
    print(
        f"知识库检查通过：{len(entries)} 个问答条目，{len(bank)} 道题，"
        f"{len(checklists)} 个行业的风险管控清单模板；"
        f"{checked}/{len(citations)} 条引用已对照导入的原文核实"
    )
    return 0


def collect_stats(settings: Settings) -> dict[str, object]:
    """Counts of entries, paraphrases, quiz questions by sector and type, tips, statutes."""
    entries = load_entries()
    bank = load_bank()
    tips = load_tips()
    checklists = load_checklists()
    by_sector: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_sector_type: dict[str, Counter[str]] = {s: Counter() for s in SECTORS}
    for q in bank:
        by_type[q.type] += 1
        for s in q.sectors:
            by_sector[s] += 1
            by_sector_type[s][q.type] += 1
    engine = make_engine(settings.database_url)
    prepare(engine)
    with session_scope(engine) as session:
        statutes = [
            {
                "source": s.source_key,
                "title": s.title,
                "version": s.version,
                "articles": s.article_count,
            }
            for s in session.exec(select(Statute)).all()
        ]
    engine.dispose()
    return {
        "entries": len(entries),
        "paraphrases": sum(len(e.paraphrases) for e in entries),
        "entries_by_topic": dict(Counter(e.topic for e in entries)),
        "quiz_questions": len(bank),
        "quiz_by_type": {t: by_type[t] for t in TYPES},
        "quiz_by_sector": {s: by_sector[s] for s in SECTORS},
        "quiz_by_sector_and_type": {s: dict(c) for s, c in by_sector_type.items()},
        "tips": len(tips),
        "checklists": {sector: len(c.items) for sector, c in sorted(checklists.items())},
        "statutes": statutes,
    }


def stats(settings: Settings, *, as_json: bool) -> int:
    """Print the counts, as JSON with --json."""
    figures = collect_stats(settings)
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    print(f"问答条目：{figures['entries']}（相似问 {figures['paraphrases']} 条）")
    for topic, n in figures["entries_by_topic"].items():  # type: ignore[attr-defined]
        print(f"  {topic}：{n}")
    by_type: dict[str, int] = figures["quiz_by_type"]  # type: ignore[assignment]
    kinds = "、".join(f"{name} {by_type[t]}" for t, name in TYPES.items() if t in by_type)
    print(f"抽考题库：{figures['quiz_questions']} 道（{kinds}）")
    for sector, n in figures["quiz_by_sector"].items():  # type: ignore[attr-defined]
        print(f"  {SECTORS[sector]}：{n}")
    print(f"节日提示：{figures['tips']} 篇")
    print("风险管控清单模板：")
    for sector, n in figures["checklists"].items():  # type: ignore[attr-defined]
        print(f"  {CHECKLIST_SECTORS[sector]}：{n} 项")
    print(f"已导入法规：{len(figures['statutes'])} 部")  # type: ignore[arg-type]
    for s in figures["statutes"]:  # type: ignore[attr-defined]
        print(f"  《{s['title']}》{s['version']}：{s['articles']} 条")
    return 0


def import_files(settings: Settings, paths: list[Path]) -> int:
    """Parse and store each file; one bad file does not stop the others.

    Files that are not statutes (a README picked up by `*.md`) are skipped with a note; the
    exit status is 1 only when a statute failed or nothing was imported.
    """
    engine = make_engine(settings.database_url)
    prepare(engine)
    failed = imported = 0
    for path in paths:
        try:
            parsed = parse_statute_file(path)
        except NotAStatute as exc:
            print(f"{path}: 已跳过：{exc}", file=sys.stderr)
            continue
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"{path}: 导入失败：{exc}", file=sys.stderr)
            failed += 1
            continue
        with session_scope(engine) as session:
            statute = import_statute(session, parsed)
        imported += 1
        note = ""
        if parsed.declared_count and parsed.declared_count != len(parsed.articles):
            note = f"（文件头声明 {parsed.declared_count} 条）"
        print(f"已导入《{statute.title}》{statute.version}：{statute.article_count} 条{note}")
    engine.dispose()
    return 1 if failed or not imported else 0
