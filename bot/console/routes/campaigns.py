"""你点我检: list, open/close, live tallies, downloads (the bot's exports), publish with a preview.

Every transition is the bot's service (bot.campaigns.services): the same rules and refusals.
Publishing queues the same broadcast the bot's 确认公布 button queues; the bot sends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.campaigns import services as svc
from bot.campaigns.exports import chart_pngs, workbook_bytes
from bot.campaigns.results import raw_votes, tally
from bot.console.auth import Staff
from bot.console.web import XLSX, attachment, db, form_text, page, record, staff_page, state
from bot.kit.refusal import Refusal, refusal_text
from bot.models import Campaign
from bot.render import MAX_TEXT, label, render

__all__ = ["ROUTES", "outcome_message", "refusal_text"]

NOTICES = {
    "created": "草稿已保存。核对无误后点“开始投票”。",
    "edited": "草稿已修改。",
    "opened": "活动已开始投票。",
    "closed": "投票已结束。",
    "published": "已开始向投票人和订阅者发送抽检结果（每人一次）。",
    "outcome": "公示内容已保存。请核对下面的预览，确认后公布。",
}


def status_name(campaign: Campaign) -> str:
    """草稿 / 投票中 / 已结束 / 已公布 (the bot's labels)."""
    return label(f"camp_status_{campaign.status}")


def outcome_message(campaign: Campaign, text: str | None = None) -> str:
    """The message voters get when the outcome is published (as the bot renders it)."""
    return render("campaign_outcome", c=campaign, text=text or campaign.outcome_text or "")


@staff_page("admin")
async def list_page(request: Request, staff: Staff) -> Response:
    """Every campaign with its state and number of voters."""
    with db(request) as session:
        rows = [(c, n, status_name(c)) for c, n in svc.list_campaigns(session, limit=200)]
    return page(request, "campaigns", staff=staff, rows=rows)


def _detail(
    request: Request,
    staff: Staff,
    campaign_id: int,
    *,
    notice: str = "",
    error: str = "",
    typed: str | None = None,
    status: int = 200,
) -> Response:
    with db(request) as session:
        results = tally(session, campaign_id)
        if results is None:
            return page(request, "denied", staff=staff, reason="missing", status=404)
        voters = len(svc.voter_ids(session, campaign_id))
    campaign = results.campaign
    preview = outcome_message(campaign) if campaign.outcome_text else ""
    return page(
        request,
        "campaign",
        staff=staff,
        status=status,
        r=results,
        c=campaign,
        status_label=status_name(campaign),
        voters_to_tell=voters,
        preview=preview,
        notice=notice,
        error=error,
        typed=campaign.outcome_text or "" if typed is None else typed,
        public_url=f"{state(request).settings.console_url.rstrip('/')}/public/campaigns/{campaign.id}",
    )


@staff_page("admin")
async def detail_page(request: Request, staff: Staff) -> Response:
    """One campaign: live tallies, downloads and the next step."""
    campaign_id = int(request.path_params["campaign_id"])
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return _detail(request, staff, campaign_id, notice=notice)


async def _transition(
    request: Request,
    staff: Staff,
    action: str,
    work: Callable[[Session, int], object],
) -> Response:
    campaign_id = int(request.path_params["campaign_id"])
    try:
        with db(request) as session:
            work(session, campaign_id)
            record(session, staff, f"campaign:{action}", str(campaign_id))
    except Refusal as refusal:
        return _detail(request, staff, campaign_id, error=refusal_text(refusal), status=409)
    done = {"open": "opened", "close": "closed", "publish": "published"}[action]
    return RedirectResponse(f"/campaigns/{campaign_id}?done={done}", status_code=303)


@staff_page("admin")
async def open_campaign(request: Request, staff: Staff) -> Response:
    """draft -> open."""
    now = state(request).clock()
    return await _transition(
        request, staff, "open", lambda s, cid: svc.open_campaign(s, cid, now=now)
    )


@staff_page("admin")
async def close_campaign(request: Request, staff: Staff) -> Response:
    """open -> closed (the bot stops its native polls at its next refresh)."""
    now = state(request).clock()
    return await _transition(
        request, staff, "close", lambda s, cid: svc.close_campaign(s, cid, now=now)
    )


@staff_page("admin")
async def save_outcome(request: Request, staff: Staff) -> Response:
    """Store the outcome text of a closed campaign and show the preview."""
    campaign_id = int(request.path_params["campaign_id"])
    text = form_text(await request.form(), "outcome")
    with db(request) as session:
        campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return page(request, "denied", staff=staff, reason="missing", status=404)
    error = ""
    if not text:
        error = "请填写抽检结果公示内容。"
    elif len(outcome_message(campaign, text)) > MAX_TEXT:
        error = f"公示内容太长：加上标题后不能超过 {MAX_TEXT} 个字。"
    if error:
        return _detail(request, staff, campaign_id, error=error, typed=text, status=400)
    try:
        with db(request) as session:
            svc.set_outcome(session, campaign_id, text=text)
            record(session, staff, "campaign:outcome", str(campaign_id))
    except Refusal as refusal:
        return _detail(
            request, staff, campaign_id, error=refusal_text(refusal), typed=text, status=409
        )
    return RedirectResponse(f"/campaigns/{campaign_id}?done=outcome#preview", status_code=303)


@staff_page("admin")
async def publish(request: Request, staff: Staff) -> Response:
    """Queue the outcome to every voter and 'results' subscribers once; mark it published."""
    now = state(request).clock()

    def work(session: Session, campaign_id: int) -> object:
        stored = session.get(Campaign, campaign_id)
        text = outcome_message(stored) if stored else ""
        return svc.publish_outcome(
            session,
            campaign_id,
            text=text,
            admin_id=staff.user_id,
            chat_id=staff.user_id,
            now=now,
        )

    return await _transition(request, staff, "publish", work)


@staff_page("admin")
async def workbook(request: Request, staff: Staff) -> Response:
    """The results workbook (the bot's /results export)."""
    campaign_id = int(request.path_params["campaign_id"])
    with db(request) as session:
        results = tally(session, campaign_id)
        votes = raw_votes(session, campaign_id) if results else []
    if results is None:
        return page(request, "denied", staff=staff, reason="missing", status=404)
    data = await asyncio.to_thread(workbook_bytes, results, votes, state(request).settings.tz)
    return attachment(data, XLSX, f"campaign_{campaign_id}.xlsx")


@staff_page("admin")
async def chart(request: Request, staff: Staff) -> Response:
    """One ballot's bar chart as PNG (the bot's chart)."""
    campaign_id = int(request.path_params["campaign_id"])
    number = int(request.path_params["number"])
    with db(request) as session:
        results = tally(session, campaign_id)
    if results is None or not 1 <= number <= len(results.ballots):
        return page(request, "denied", staff=staff, reason="missing", status=404)
    charts = await asyncio.to_thread(chart_pngs, results)
    name, png = charts[number - 1]
    return Response(
        png, media_type="image/png", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


ROUTES = [
    Route("/campaigns", list_page, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}", detail_page, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/open", open_campaign, methods=["POST"]),
    Route("/campaigns/{campaign_id:int}/close", close_campaign, methods=["POST"]),
    Route("/campaigns/{campaign_id:int}/outcome", save_outcome, methods=["POST"]),
    Route("/campaigns/{campaign_id:int}/publish", publish, methods=["POST"]),
    Route("/campaigns/{campaign_id:int}/results.xlsx", workbook, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/chart/{number:int}.png", chart, methods=["GET"]),
]
