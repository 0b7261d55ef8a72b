"""问答检查: what the bot would answer to a question, its candidates with scores, the cited
articles; and the entries by topic. Nothing is logged: this is a check, not a question."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Staff
from bot.console.web import db, page, staff_page, state
from bot.guidance.services import find_article
from bot.models import StatuteArticle
from knowledge.loader import Citation
from knowledge.search import Hit, SearchResult
from knowledge.vocab import business_types, topics

__all__ = ["ROUTES"]

MAX_QUESTION = 500
CANDIDATES = 5


@dataclass(frozen=True, slots=True)
class Cited:
    """A citation with the imported article text, when the statute was imported."""

    citation: Citation
    article: StatuteArticle | None


@staff_page()
async def qa_page(request: Request, staff: Staff) -> Response:
    """The question form; with ?q= the outcome, the candidates and the cited articles."""
    question = request.query_params.get("q", "").strip()
    business = request.query_params.get("business_type", "")
    kinds = business_types()
    index = state(request).index()
    error = ""
    if len(question) > MAX_QUESTION:
        error = f"问题太长：最多 {MAX_QUESTION} 字。"
    if business and business not in kinds:
        error = "未知的经营类型。"
    result: SearchResult | None = None
    candidates: list[Hit] = []
    cited: list[Cited] = []
    if question and not error:
        result = index.search(question, business_type=business or None)
        candidates = index.candidates(question)[:CANDIDATES]
        entry = result.answer or (result.hits[0].entry if result.hits else None)
        with db(request) as session:
            cited = (
                [Cited(c, find_article(session, c)[1]) for c in entry.citations] if entry else []
            )
    by_topic = {t: index.by_topic(t) for t in topics()}
    return page(
        request,
        "qa",
        staff=staff,
        status=400 if error else 200,
        question=question,
        business=business,
        kinds=kinds,
        error=error,
        result=result,
        candidates=candidates,
        cited=cited,
        by_topic=by_topic,
    )


ROUTES = [Route("/qa", qa_page, methods=["GET"])]
