"""Public result pages: /public/campaigns/<id> for published campaigns only, no login.

Only aggregates are shown (voters, ranked counts per question, the outcome text): nothing about
individual voters, and 404 for any campaign that is not published.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.campaigns.results import tally
from bot.console.web import db, page

__all__ = ["ROUTES"]


async def campaign_page(request: Request) -> Response:
    """A published campaign's results and outcome."""
    campaign_id = int(request.path_params["campaign_id"])
    with db(request) as session:
        results = tally(session, campaign_id)
    if results is None or results.campaign.status != "published":
        return page(request, "denied", reason="missing", status=404)
    show_tally = results.campaign.results_visibility != "never"
    return page(request, "public_campaign", r=results, c=results.campaign, show_tally=show_tally)


ROUTES = [Route("/public/campaigns/{campaign_id:int}", campaign_page, methods=["GET"])]
