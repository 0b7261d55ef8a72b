"""Store parsed statutes: one row per version, its articles replaced on re-import."""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from bot.models import Statute, StatuteArticle, utcnow
from knowledge.statutes import ParsedStatute

__all__ = ["import_statute", "list_statutes"]


def import_statute(session: Session, parsed: ParsedStatute) -> Statute:
    """Insert or replace one version of a statute with all its articles, in one transaction."""
    statute = session.exec(
        select(Statute).where(
            Statute.source_key == parsed.source_key, Statute.version == parsed.version
        )
    ).first()
    if statute is None:
        statute = Statute(source_key=parsed.source_key, title=parsed.title, version=parsed.version)
    else:
        session.exec(delete(StatuteArticle).where(col(StatuteArticle.statute_id) == statute.id))
    statute.title = parsed.title
    statute.effective = parsed.effective
    statute.article_count = len(parsed.articles)
    statute.imported_at = utcnow()
    session.add(statute)
    session.flush()
    assert statute.id is not None
    session.add_all(
        StatuteArticle(
            statute_id=statute.id, number=n, chapter=parsed.chapters.get(n, ""), text=text
        )
        for n, text in sorted(parsed.articles.items())
    )
    session.commit()
    return statute


def list_statutes(session: Session) -> list[Statute]:
    """Every imported version."""
    return list(session.exec(select(Statute).order_by(col(Statute.source_key))).all())
