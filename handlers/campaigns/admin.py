"""你点我检 for staff, running: open/close, /campaigns, /results, group card and poll, announcing
and publishing the outcome (both through the broadcast engine, once per recipient)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.campaigns import services as svc
from bot.campaigns import votes
from bot.campaigns.results import results_with_votes
from bot.campaigns.services import refused
from bot.kit import Context, drop_buttons, refuse
from bot.models import Broadcast, Campaign
from bot.render import label, render
from handlers.campaigns.common import (
    attempt,
    ballot_link,
    callback_number,
    local,
    status_name,
    with_campaign_id,
)
from handlers.campaigns.create import log_action
from handlers.common import (
    answer_query,
    keyboard,
    parse_int,
    reply,
    require_admin,
    send_choice,
    sent_at_night,
)
from handlers.common import user_id as sender
from scheduler.broadcasts import launch
from scheduler.campaigns import schedule_transitions, stop_polls

__all__ = ["HANDLERS"]

_PUBLISH_CAPTION = r"^/campaign_publish(@\w+)?(\s|$)"
_PUBLISH_USAGE = "/campaign_publish 编号 公示内容（可附文件：把命令写在文件说明里）"


async def _open(update: Update, context: Context, campaign_id: int) -> None:
    opened = await attempt(
        update, context, lambda s: svc.open_campaign(s, campaign_id, now=context.now())
    )
    if opened is None:
        return
    await log_action(context, update, "campaign:open", campaign_id)
    schedule_transitions(context.application)
    await answer_query(update)
    await reply(update, render("campaign_state", event="opened", c=opened))


@with_campaign_id("campaign_open")
async def open_command(update: Update, context: Context, campaign_id: int) -> None:
    """/campaign_open <id> — start voting now."""
    await _open(update, context, campaign_id)


@require_admin
async def open_button(update: Update, context: Context) -> None:
    """camp:open:<id> — 开始投票 under the preview."""
    await _open(update, context, callback_number(update, 2))


@with_campaign_id("campaign_close")
async def close_command(update: Update, context: Context, campaign_id: int) -> None:
    """/campaign_close <id> — stop voting now; native polls are stopped too."""
    closed = await attempt(
        update, context, lambda s: svc.close_campaign(s, campaign_id, now=context.now())
    )
    if closed is None:
        return
    await log_action(context, update, "campaign:close", campaign_id)
    schedule_transitions(context.application)
    await stop_polls(context.application, [campaign_id])
    await reply(update, render("campaign_state", event="closed", c=closed))


@require_admin
async def list_command(update: Update, context: Context) -> None:
    """/campaigns — every campaign with its state and number of voters."""
    rows = [(c, n, status_name(c)) for c, n in await context.db(svc.list_campaigns)]
    await reply(update, render("campaign_admin_list", rows=rows))


@with_campaign_id("results")
async def results_command(update: Update, context: Context, campaign_id: int) -> None:
    """/results <id> — ranked counts, voters, 镇/街道, suggestions, the charts and the workbook."""
    results, votes = await context.db(results_with_votes, campaign_id)
    chat = update.effective_chat
    if results is None or chat is None:
        await refuse(update, refused("not_found"))
        return
    # openpyxl and matplotlib load with the first export, not with every worker's start.
    from bot.campaigns.exports import chart_pngs, workbook_bytes

    status = status_name(results.campaign)
    await reply(update, render("campaign_results", r=results, staff=True, status=status))
    # Drawing takes a moment per chart: off the event loop, so chatting users are not held up.
    for name, png in await asyncio.to_thread(chart_pngs, results):
        await chat.send_photo(png, filename=name)
    book = workbook_bytes(results, votes, context.bot_data.settings.tz)
    await chat.send_document(book, filename=f"campaign_{campaign_id}.xlsx")


@with_campaign_id("campaign_card")
async def card_command(update: Update, context: Context, campaign_id: int) -> None:
    """/campaign_card <id> — post a card whose button opens the private ballot (for groups)."""
    view = await attempt(update, context, lambda s: svc.open_view(s, campaign_id, context.now()))
    if view is None:
        return
    link = InlineKeyboardButton(label("vote_link"), url=ballot_link(context, campaign_id))
    text = render("campaign_card", c=view.campaign, ends_at=local(view.campaign.ends_at))
    await reply(update, text, keyboard([[link]]))


@with_campaign_id("campaign_poll")
async def poll_command(update: Update, context: Context, campaign_id: int) -> None:
    """/campaign_poll <id> — a native non-anonymous poll whose answers join the tally."""
    view = await attempt(
        update, context, lambda s: votes.poll_target(s, campaign_id, now=context.now())
    )
    chat = update.effective_chat
    if view is None or chat is None:
        return
    ballot = view.ballots[0]
    message = await chat.send_poll(
        f"{view.campaign.title}：{ballot.title}"[:300],
        [o.label for o in ballot.options],
        is_anonymous=False,
        allows_multiple_answers=ballot.max_choices > 1,
    )
    assert message.poll is not None
    await context.db(
        votes.record_poll,
        view,
        poll_id=message.poll.id,
        chat_id=chat.id,
        message_id=message.message_id,
    )
    await log_action(context, update, "campaign:poll", campaign_id)


async def _started(
    update: Update, campaign: Campaign, sent: tuple[Broadcast, bool], what: str
) -> None:
    broadcast, already = sent
    text = render(
        "campaign_broadcast_started", c=campaign, b=broadcast, already=already, what=what
    )
    await reply(update, text)


def _announcement(context: Context, view: svc.CampaignView) -> str:
    campaign = view.campaign
    assert campaign.id is not None
    link = ballot_link(context, campaign.id)
    return render("campaign_announce", c=campaign, ends_at=local(campaign.ends_at), link=link)


@with_campaign_id("campaign_announce")
async def announce_command(update: Update, context: Context, campaign_id: int) -> None:
    """/campaign_announce <id> — preview the announcement to 'campaigns' subscribers; confirm."""
    done = await attempt(
        update, context, lambda s: svc.announce_preview(s, campaign_id, now=context.now())
    )
    if done is None:
        return
    view, subscribers, earlier = done
    quiet, rows = send_choice(
        context, f"camp:ann:{campaign_id}", subscribers, confirm="camp_announce_confirm"
    )
    head = render(
        "campaign_announce_preview",
        c=view.campaign,
        subscribers=subscribers,
        earlier=earlier,
        quiet=None if earlier else quiet,
    )
    await reply(update, head)
    await reply(update, _announcement(context, view), None if earlier else keyboard(rows))


@require_admin
async def announce_button(update: Update, context: Context) -> None:
    """camp:ann:<id>[:night] — tell 'campaigns' subscribers, once, that voting is open."""
    campaign_id = callback_number(update, 2)
    chat_id = update.effective_chat.id if update.effective_chat else sender(update)
    night = sent_at_night(update.callback_query.data or "") if update.callback_query else False

    def queue(session: Session) -> tuple[Campaign, tuple[Broadcast, bool]]:
        view = svc.open_view(session, campaign_id, context.now())
        return view.campaign, svc.announce(
            session,
            campaign_id,
            text=_announcement(context, view),
            admin_id=sender(update),
            chat_id=chat_id,
            now=context.now(),
            night=night,
        )

    done = await attempt(update, context, queue)
    if done is None:
        return
    await log_action(context, update, "campaign:announce", campaign_id)
    launch(context.application, done[1][0].id or 0)
    await answer_query(update)
    await drop_buttons(update)
    await _started(update, done[0], done[1], "宣传")


def _outcome_text(campaign: Campaign, text: str | None = None) -> str:
    return render("campaign_outcome", c=campaign, text=text or campaign.outcome_text or "")


@require_admin
async def publish_command(update: Update, context: Context) -> None:
    """/campaign_publish <id> <text> (or a document captioned so): store it, preview, confirm."""
    message = update.effective_message
    assert message is not None
    document = message.document
    words = (message.caption if document else message.text) or ""
    number, _, text = words.partition(" ")[2].strip().partition(" ")
    campaign_id, text = (
        parse_int(number),
        text.strip() or (label("camp_outcome_see_file") if document else ""),
    )
    if campaign_id is None or not text:
        await reply(update, render("bad_usage", usage=_PUBLISH_USAGE, hint=""))
        return
    limit = 1024 if document else 4096  # a caption, or a message

    def store(session: Session) -> tuple[Campaign, int, int]:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and len(_outcome_text(campaign, text)) > limit:
            raise refused("outcome_long", limit=limit)
        stored = svc.set_outcome(
            session,
            campaign_id,
            text=text,
            file_id=document.file_id if document else None,
            file_name=document.file_name if document else None,
        )
        voters = len(svc.voter_ids(session, campaign_id))
        return stored, voters, svc.outcome_audience(session, campaign_id)

    done = await attempt(update, context, store)
    if done is None:
        return
    campaign, voters, audience = done
    quiet, rows = send_choice(
        context, f"camp:pub:{campaign_id}", audience, confirm="camp_publish_confirm"
    )
    await reply(update, render("campaign_publish_preview", c=campaign, voters=voters, quiet=quiet))
    await reply(update, _outcome_text(campaign), keyboard(rows))


@require_admin
async def publish_button(update: Update, context: Context) -> None:
    """camp:pub:<id>[:night] — send the outcome to every voter once (never again)."""
    campaign_id = callback_number(update, 2)
    chat_id = update.effective_chat.id if update.effective_chat else sender(update)
    night = sent_at_night(update.callback_query.data or "") if update.callback_query else False

    def publish(session: Session) -> tuple[Campaign, tuple[Broadcast, bool]]:
        stored = session.get(Campaign, campaign_id)
        text = _outcome_text(stored) if stored else ""
        campaign, broadcast, already = svc.publish_outcome(
            session,
            campaign_id,
            text=text,
            admin_id=sender(update),
            chat_id=chat_id,
            now=context.now(),
            night=night,
        )
        return campaign, (broadcast, already)

    done = await attempt(update, context, publish)
    if done is None:
        return
    await log_action(context, update, "campaign:publish", campaign_id)
    launch(context.application, done[1][0].id or 0)
    await answer_query(update)
    await drop_buttons(update)
    await _started(update, done[0], done[1], "抽检结果")


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("campaigns", list_command),
    CommandHandler("campaign_open", open_command),
    CommandHandler("campaign_close", close_command),
    CommandHandler("results", results_command),
    CommandHandler("campaign_announce", announce_command),
    CommandHandler("campaign_publish", publish_command),
    CommandHandler("campaign_card", card_command),
    CommandHandler("campaign_poll", poll_command),
    # A document captioned /campaign_publish is the outcome's attachment, not a campaign file.
    MessageHandler(filters.Document.ALL & filters.CaptionRegex(_PUBLISH_CAPTION), publish_command),
    CallbackQueryHandler(open_button, pattern=r"^camp:open:\d+$"),
    CallbackQueryHandler(publish_button, pattern=r"^camp:pub:\d+(:night)?$"),
    CallbackQueryHandler(announce_button, pattern=r"^camp:ann:\d+(:night)?$"),
]
