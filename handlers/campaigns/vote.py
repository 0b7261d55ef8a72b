"""你点我检 for citizens: /vote, the ballot with ✅ toggles and 提交, suggestions, poll answers.

A vote edits the ballot message into a receipt instead of sending a new message: a burst of
voters then costs no share of the ~30 messages/s that announcements and results need.
Staff commands live in handlers/campaigns/admin.py and create.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session
from telegram import ForceReply, InlineKeyboardButton, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from bot.campaigns import services as svc
from bot.campaigns import votes
from bot.campaigns.results import Results, tally
from bot.campaigns.services import BallotState, refused
from bot.kit import Context, Refusal, edit_pressed, refusal_text, refuse
from bot.models import Campaign
from bot.render import label, render
from handlers.campaigns.ballot import (
    ballot_markup,
    ballot_text,
    page_count,
    page_of,
    receipt_markup,
    receipt_text,
)
from handlers.campaigns.common import (
    ReplyToTag,
    attempt,
    ballot_link,
    callback_number,
    own_chat,
)
from handlers.common import answer_query, button, is_private, keyboard, parse_int, reply
from handlers.common import user_id as sender

__all__ = ["HANDLERS", "list_open", "open_link"]

FEATURE = "campaigns"
logger = logging.getLogger(__name__)
T = TypeVar("T")


async def _on_ballot(
    update: Update, context: Context, work: Callable[..., T], *, early: bool = False
) -> T | None:
    """Run work(session, voter, now, tz) on the presser's own ballot, or tell why not."""
    if not own_chat(update):
        await refuse(update, refused("stale"))
        return None
    uid, at, tz = sender(update), context.now(), context.bot_data.settings.tz
    return await attempt(update, context, lambda s: work(s, uid, at, tz), early=early)


async def _draw(update: Update, context: Context, state: BallotState, page: int) -> None:
    await edit_pressed(update, ballot_text(state, page), ballot_markup(state, page))
    if not context.press_answered:
        await answer_query(update)


async def toggle_option(update: Update, context: Context) -> None:
    """vote:t:<campaign>:<option> — tick or untick one option."""
    cid, oid = callback_number(update, 2), callback_number(update, 3)
    state = await _on_ballot(
        update,
        context,
        lambda s, uid, at, tz: votes.toggle(s, cid, user_id=uid, option_id=oid, now=at, tz=tz),
        early=True,
    )
    if state is not None:
        await _draw(update, context, state, page_of(state, oid))


async def choose_none(update: Update, context: Context) -> None:
    """vote:n:<campaign>:<ballot> — 都不选/不适用 on an optional question."""
    cid, bid = callback_number(update, 2), callback_number(update, 3)
    done = await _on_ballot(
        update,
        context,
        lambda s, uid, at, tz: votes.choose_none(
            s, cid, user_id=uid, ballot_id=bid, now=at, tz=tz
        ),
    )
    if done is not None:
        await _draw(update, context, *done)


async def show_page(update: Update, context: Context) -> None:
    """vote:p:<campaign>:<page> — another question of the ballot (or back from the receipt)."""
    cid, page = callback_number(update, 2), callback_number(update, 3)
    state = await _on_ballot(
        update,
        context,
        lambda s, uid, at, tz: votes.ballot_state(s, cid, user_id=uid, now=at, tz=tz),
        early=True,
    )
    if state is not None:
        await _draw(update, context, state, min(page, page_count(state.view) - 1))


async def pick_township(update: Update, context: Context) -> None:
    """vote:w:<campaign>:<index> — the voter's 镇/街道."""
    cid, index = callback_number(update, 2), callback_number(update, 3)
    state = await _on_ballot(
        update,
        context,
        lambda s, uid, at, tz: votes.set_township(s, cid, user_id=uid, index=index, now=at, tz=tz),
        early=True,
    )
    if state is not None:
        await _draw(update, context, state, page_count(state.view) - 1)


async def submit_vote(update: Update, context: Context) -> None:
    """vote:s:<campaign> — store the ballot (one transaction); the message becomes a receipt."""
    cid = callback_number(update, 2)
    rec = await _on_ballot(
        update,
        context,
        lambda s, uid, at, tz: votes.submit(s, cid, user_id=uid, now=at, tz=tz),
        early=True,
    )
    if rec is None:
        return
    # The receipt first: it is what was stored, and shows even if the press has gone stale.
    await edit_pressed(update, receipt_text(rec), receipt_markup(rec))
    if not context.press_answered:  # answered early (a slow database): the receipt says it
        await answer_query(update, label("vote_recorded"))


async def _send_ballot(update: Update, context: Context, campaign_id: int) -> None:
    """A fresh ballot message showing what is recorded (re-opening shows the current choices)."""
    if not is_private(update):  # /start vote_<id> typed in a group: the ballot stays private
        await list_open(update, context)
        return
    uid, at, tz = sender(update), context.now(), context.bot_data.settings.tz
    state = await attempt(
        update, context, lambda s: votes.open_ballot(s, campaign_id, user_id=uid, now=at, tz=tz)
    )
    if state is None:
        return
    await answer_query(update)
    await reply(update, ballot_text(state, 0), ballot_markup(state, 0))


async def open_from_list(update: Update, context: Context) -> None:
    """vote:o:<campaign> — open a ballot from the /vote list."""
    await _send_ballot(update, context, callback_number(update, 2))


async def open_link(update: Update, context: Context, argument: str) -> None:
    """/start vote_<id> — the deep link opens the ballot directly."""
    campaign_id = parse_int(argument)
    if campaign_id is None:
        await refuse(update, refused("not_found"))
        return
    await _send_ballot(update, context, campaign_id)


def _open_button(context: Context, campaign: Campaign, private: bool) -> InlineKeyboardButton:
    text = label("vote_open", title=campaign.title[:40])
    if private:
        return button(text, f"vote:o:{campaign.id}")
    return InlineKeyboardButton(text, url=ballot_link(context, campaign.id or 0))


async def list_open(update: Update, context: Context) -> None:
    """/vote and the menu button: open campaigns; in a group the buttons open a private chat."""
    private = is_private(update)
    open_now, finished = await context.db(
        svc.list_for_citizens, now=context.now(), user_id=sender(update)
    )
    finished = finished if private else []
    rows = [[_open_button(context, c, private)] for c in open_now]
    rows += [
        [button(label("vote_results", title=c.title[:40]), f"vote:r:{c.id}")] for c in finished
    ]
    await reply(update, render("campaign_list", open=open_now, finished=finished), keyboard(rows))


async def show_results(update: Update, context: Context) -> None:
    """vote:r:<campaign> — the tally, when the campaign lets voters see it."""
    results, for_voters = await context.db(
        _visible_tally, callback_number(update, 2), sender(update)
    )
    if results is None:
        await refuse(update, refused("voters_only" if for_voters else "hidden"))
        return
    await answer_query(update)
    await reply(update, render("campaign_results", r=results, staff=False, status=""))


def _visible_tally(session: Session, campaign_id: int, user: int) -> tuple[Results | None, bool]:
    """The tally if this user may see it; and whether voters could (to say why not)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None, False
    voted = campaign_id in svc.voted_campaigns(session, user)
    visible = svc.results_visible(campaign, voted=voted)
    for_voters = svc.results_visible(campaign, voted=True)
    return (tally(session, campaign_id) if visible else None), for_voters


# --- 其他建议 -----------------------------------------------------------------------------


async def ask_suggestion(update: Update, context: Context) -> None:
    """vote:x:<campaign>:<ballot> — prompt for a suggestion the voter types as a reply."""
    cid, bid, chat = callback_number(update, 2), callback_number(update, 3), update.effective_chat
    assert chat is not None
    ballot = await _on_ballot(
        update,
        context,
        lambda s, _uid, at, _tz: votes.suggestion_target(s, cid, ballot_id=bid, now=at),
    )
    if ballot is None:
        return
    await answer_query(update)
    text = render(
        "campaign_suggest_prompt",
        tag=label("vote_suggest_tag"),
        ballot=ballot.title,
        limit=svc.MAX_SUGGESTION,
    )
    prompt = await chat.send_message(text, reply_markup=ForceReply(selective=True))
    await context.db(
        votes.await_suggestion,
        cid,
        user_id=sender(update),
        ballot_id=bid,
        prompt_id=prompt.message_id,
        now=context.now(),
        tz=context.settings.tz,
    )


async def suggestion_reply(update: Update, context: Context) -> None:
    """The reply to a suggestion prompt: keep it (<= 50 characters) for staff."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    uid, prompt_id, text = sender(update), message.reply_to_message.message_id, message.text or ""
    saved = await attempt(
        update,
        context,
        lambda s: votes.save_suggestion(
            s, user_id=uid, prompt_id=prompt_id, text=text, now=context.now()
        ),
    )
    if saved is not None:
        _, ballot, row = saved
        await reply(update, render("campaign_suggest_saved", ballot=ballot.title, text=row.text))


# --- native polls -------------------------------------------------------------------------


async def poll_answer(update: Update, context: Context) -> None:
    """An answer in a campaign's native poll joins the tally, once per person."""
    answer, tz = update.poll_answer, context.bot_data.settings.tz
    if answer is None or answer.user is None:
        return
    try:
        await context.db(
            votes.record_poll_answer,
            answer.poll_id,
            user_id=answer.user.id,
            answer=list(answer.option_ids),
            now=context.now(),
            tz=tz,
        )
    except Refusal as refusal:
        # A poll answer comes without a chat: tell the voter privately when the bot may.
        try:
            await context.bot.send_message(answer.user.id, refusal_text(refusal))
        except (Forbidden, BadRequest):
            logger.info("Poll answer of %s refused (%s), not told", answer.user.id, refusal.reason)


_SUGGESTION_REPLY = (
    filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & ReplyToTag("vote_suggest_tag")
)

HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("vote", list_open),
    CallbackQueryHandler(open_from_list, pattern=r"^vote:o:\d+$"),
    CallbackQueryHandler(toggle_option, pattern=r"^vote:t:\d+:\d+$"),
    CallbackQueryHandler(choose_none, pattern=r"^vote:n:\d+:\d+$"),
    CallbackQueryHandler(show_page, pattern=r"^vote:p:\d+:\d+$"),
    CallbackQueryHandler(pick_township, pattern=r"^vote:w:\d+:\d+$"),
    CallbackQueryHandler(submit_vote, pattern=r"^vote:s:\d+$"),
    CallbackQueryHandler(ask_suggestion, pattern=r"^vote:x:\d+:\d+$"),
    CallbackQueryHandler(show_results, pattern=r"^vote:r:\d+$"),
    MessageHandler(_SUGGESTION_REPLY, suggestion_reply),
    PollAnswerHandler(poll_answer),
]
