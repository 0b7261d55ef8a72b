"""The ballot message: its text and ✅ keyboard, one question per page, and the receipt."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.campaigns import services as svc
from bot.campaigns.services import BallotState, CampaignView, Choice
from bot.models import as_utc
from bot.render import label, render
from handlers.campaigns.common import local
from handlers.common import button, keyboard

__all__ = [
    "ballot_markup",
    "ballot_text",
    "page_count",
    "page_of",
    "receipt_markup",
    "receipt_text",
]


def page_count(view: CampaignView) -> int:
    """One page per ballot, plus one for the 镇/街道 question when it is asked."""
    return len(view.ballots) + (1 if view.townships else 0)


def page_of(state: BallotState, option_id: int) -> int:
    """The page showing an option (after it was toggled)."""
    found = state.view.option(option_id)
    return state.view.ballots.index(found[0]) if found else 0


def _summary(view: CampaignView, option_ids: tuple[int, ...]) -> list[tuple[str, list[str]]]:
    return [(b.title, [o.label for o in chosen]) for b, chosen in view.chosen(option_ids)]


def ballot_text(state: BallotState, page: int) -> str:
    """The ballot page: the question, every choice so far and whether it was submitted."""
    view = state.view
    return render(
        "campaign_ballot",
        c=view.campaign,
        page=page,
        pages=page_count(view),
        ballot=view.ballots[page] if page < len(view.ballots) else None,
        summary=_summary(view, state.selected),
        optional=any(b.optional for b in view.ballots),
        townships=view.townships,
        township=state.township,
        ends_at=local(view.campaign.ends_at),
        recorded_at=local(state.recorded.submitted_at) if state.recorded else None,
    )


def _pairs(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _option(state: BallotState, option: Choice) -> InlineKeyboardButton:
    key = "vote_option_on" if option.id in state.selected else "vote_option_off"
    return button(label(key, label=option.label), f"vote:t:{state.view.id}:{option.id}")


def _township(state: BallotState, index: int, name: str) -> InlineKeyboardButton:
    text = label("vote_township_on", name=name) if name == state.township else name
    return button(text, f"vote:w:{state.view.id}:{index}")


def ballot_markup(state: BallotState, page: int) -> InlineKeyboardMarkup | None:
    """Options (✅ when ticked) two per row, 其他建议, page turning and 提交."""
    view, cid = state.view, state.view.id
    rows: list[list[InlineKeyboardButton]] = []
    if page < len(view.ballots):
        ballot = view.ballots[page]
        rows += _pairs([_option(state, o) for o in ballot.options])
        if ballot.optional:
            none = not any(o.id in state.selected for o in ballot.options)
            text = label("vote_none_on" if none else "vote_none")
            rows.append([button(text, f"vote:n:{cid}:{ballot.id}")])
        if view.campaign.allow_suggestions:
            rows.append([button(label("vote_suggest"), f"vote:x:{cid}:{ballot.id}")])
    else:
        rows += _pairs([_township(state, i, t) for i, t in enumerate(view.townships)])
    nav = []
    if page > 0:
        nav.append(button(label("vote_prev"), f"vote:p:{cid}:{page - 1}"))
    if page + 1 < page_count(view):
        nav.append(button(label("vote_next"), f"vote:p:{cid}:{page + 1}"))
    return keyboard([*rows, nav, [button(label("vote_submit"), f"vote:s:{cid}")]])


def receipt_text(rec: svc.Recorded) -> str:
    """Exactly what was stored, read back from the vote."""
    return render(
        "campaign_recorded",
        title=rec.view.campaign.title,
        summary=_summary(rec.view, rec.option_ids),
        township=rec.vote.township,
        at=as_utc(rec.vote.submitted_at),
        replaced=rec.replaced,
        daily=rec.view.campaign.vote_rule == "daily",
    )


def receipt_markup(rec: svc.Recorded) -> InlineKeyboardMarkup | None:
    """修改我的选择, and 查看结果 when the campaign shows results to voters now."""
    campaign = rec.view.campaign
    rows = [[button(label("vote_change"), f"vote:p:{campaign.id}:0")]]
    if svc.results_visible(campaign, voted=True):  # the receipt of their own vote
        rows.append([button(label("vote_show_results"), f"vote:r:{campaign.id}")])
    return keyboard(rows)
