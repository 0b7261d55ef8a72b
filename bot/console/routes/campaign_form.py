"""你点我检: create and edit a draft with a form (the YAML loader's rules and messages).

A new draft is the bot's create_campaign; an edit is update_draft_campaign, refused once the
campaign has opened. Both are audited; the draft is then opened from its page as before.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.campaigns import services as svc
from bot.campaigns.spec import MAX_BALLOTS, RESULTS_VISIBILITY, VOTE_RULES, CampaignSpec
from bot.console.auth import Staff
from bot.console.campaign_form import (
    BallotFields,
    CampaignForm,
    check_form,
    form_from_post,
    form_from_spec,
)
from bot.console.web import db, page, record, staff_page, state
from bot.kit.refusal import Refusal, refusal_text
from bot.render import label

__all__ = ["ROUTES"]


def _examples(request: Request) -> tuple[str, str]:
    """Example start and end times, always ahead of today (next month, Beijing time)."""
    console = state(request)
    today = console.clock().astimezone(console.settings.tz).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return f"{first:%Y-%m-%d} 08:00", f"{first:%Y-%m}-20 20:00"


def _form_page(
    request: Request,
    staff: Staff,
    form: CampaignForm,
    *,
    campaign_id: int | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return page(
        request,
        "campaign_form",
        staff=staff,
        status=status,
        form=form,
        campaign_id=campaign_id,
        errors=errors or {},
        error=error,
        max_ballots=MAX_BALLOTS,
        examples=_examples(request),
        vote_rules=[(v, label(f"camp_vote_rule_{v}")) for v in VOTE_RULES],
        visibilities=[(v, label(f"camp_results_{v}")) for v in RESULTS_VISIBILITY],
    )


def _adding(request: Request, staff: Staff, form: CampaignForm, cid: int | None) -> Response:
    """添加问题: the same form with one more empty question (nothing is checked or saved)."""
    if len(form.ballots) < MAX_BALLOTS:
        form.ballots.append(BallotFields())
    return _form_page(request, staff, form, campaign_id=cid)


async def _submitted(
    request: Request, staff: Staff, campaign_id: int | None
) -> CampaignSpec | Response:
    """The checked definition; or the page to show: one more question, or the problems."""
    posted = await request.form()
    form = form_from_post(posted)
    if "add" in posted:
        return _adding(request, staff, form, campaign_id)
    console = state(request)
    spec, errors = check_form(form, now=console.clock(), tz=console.settings.tz)
    if spec is None:
        return _form_page(request, staff, form, campaign_id=campaign_id, errors=errors, status=400)
    return spec


@staff_page("admin")
async def new_page(request: Request, staff: Staff) -> Response:
    """An empty draft form."""
    return _form_page(request, staff, CampaignForm())


@staff_page("admin")
async def create(request: Request, staff: Staff) -> Response:
    """Save a new draft, or show the form again with the problems next to their fields."""
    spec = await _submitted(request, staff, None)
    if isinstance(spec, Response):
        return spec
    with db(request) as session:
        campaign = svc.create_campaign(session, spec, created_by=staff.user_id)
        record(session, staff, "campaign:create", f"{campaign.id} {campaign.title}")
    return RedirectResponse(f"/campaigns/{campaign.id}?done=created", status_code=303)


@staff_page("admin")
async def edit_page(request: Request, staff: Staff) -> Response:
    """A draft's definition in the form; a campaign that has opened cannot be edited."""
    campaign_id = int(request.path_params["campaign_id"])
    with db(request) as session:
        view = svc.load_view(session, campaign_id)
    if view is None:
        return page(request, "denied", staff=staff, reason="missing", status=404)
    form = form_from_spec(svc.spec_of(view), state(request).settings.tz)
    if view.campaign.status != "draft":
        refusal = svc.refused(
            "bad_state", campaign_id=campaign_id, status=view.campaign.status, wanted="draft"
        )
        return _form_page(
            request, staff, form, campaign_id=campaign_id, error=refusal_text(refusal), status=409
        )
    return _form_page(request, staff, form, campaign_id=campaign_id)


@staff_page("admin")
async def update(request: Request, staff: Staff) -> Response:
    """Replace the draft's definition with the form's."""
    campaign_id = int(request.path_params["campaign_id"])
    spec = await _submitted(request, staff, campaign_id)
    if isinstance(spec, Response):
        return spec
    try:
        with db(request) as session:
            svc.update_draft_campaign(session, campaign_id, spec)
            record(session, staff, "campaign:edit", f"{campaign_id} {spec.title}")
    except Refusal as refusal:
        return _form_page(
            request,
            staff,
            form_from_post(await request.form()),
            campaign_id=campaign_id,
            error=refusal_text(refusal),
            status=404 if refusal.reason == "not_found" else 409,
        )
    return RedirectResponse(f"/campaigns/{campaign_id}?done=edited", status_code=303)


ROUTES = [
    Route("/campaigns/new", new_page, methods=["GET"]),
    Route("/campaigns/new", create, methods=["POST"]),
    Route("/campaigns/{campaign_id:int}/edit", edit_page, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/edit", update, methods=["POST"]),
]
