"""你点我检 for staff, creating: a YAML document or /campaign_new step by step, then a preview.

The chat draft lives in CampaignDraft; each typed answer is a reply to the bot's latest prompt
(a ForceReply starting with 【新建活动】), so nothing is kept in memory between messages.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session
from telegram import ForceReply, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.campaigns import builder
from bot.campaigns import services as svc
from bot.campaigns.services import refused
from bot.campaigns.spec import CampaignSpec, load_definition_bytes
from bot.kit import Context, Refusal, refuse
from bot.models import Campaign
from bot.render import label, render
from bot.users import audit
from handlers.campaigns.common import (
    ReplyToTag,
    attempt,
    callback_number,
    status_name,
    with_campaign_id,
)
from handlers.common import answer_query, button, keyboard, reply, require_admin, user_id
from knowledge.yamlfile import DataError
from scheduler.campaigns import schedule_transitions

__all__ = ["HANDLERS", "log_action", "show_preview"]

logger = logging.getLogger(__name__)


async def log_action(
    context: Context, update: Update, action: str, campaign_id: int | None
) -> None:
    """Audit one staff action on a campaign."""
    await context.db(audit, actor_id=user_id(update), action=action, detail=str(campaign_id))


def _preview_text(spec: CampaignSpec, campaign: Campaign | None = None) -> str:
    status = status_name(campaign) if campaign is not None else ""
    return render("campaign_preview", s=spec, c=campaign, status=status)


async def show_preview(update: Update, context: Context, campaign_id: int) -> None:
    """The campaign as citizens will see it; a draft gets 开始投票 and 删除草稿."""
    view = await context.db(svc.load_view, campaign_id)
    if view is None:
        await refuse(update, refused("not_found"))
        return
    rows = []
    if view.campaign.status == "draft":
        rows.append(
            [
                button(label("camp_open"), f"camp:open:{campaign_id}"),
                button(label("camp_delete"), f"camp:del:{campaign_id}"),
            ]
        )
    await reply(update, _preview_text(svc.spec_of(view), view.campaign), keyboard(rows))


async def _created(update: Update, context: Context, campaign_id: int) -> None:
    await log_action(context, update, "campaign:create", campaign_id)
    schedule_transitions(context.application)
    await show_preview(update, context, campaign_id)


@require_admin
async def upload_definition(update: Update, context: Context) -> None:
    """A campaign YAML sent as a document: validate it (field and line) and create a draft."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document, tz = message.document, context.bot_data.settings.tz
    data = bytes(await (await document.get_file()).download_as_bytearray())
    name = document.file_name or "campaign.yaml"
    try:
        spec = load_definition_bytes(data, name, now=context.now(), tz=tz)
    except DataError as exc:
        await reply(update, render("campaign_file_errors", problems=exc.problems))
        return
    campaign = await context.db(svc.create_campaign, spec, created_by=user_id(update))
    await _created(update, context, campaign.id or 0)


async def _prompt(update: Update, context: Context, step: builder.Step) -> None:
    """Ask the next question: buttons for a choice, a reply prompt for a typed answer."""
    text = render(
        "campaign_step",
        tag=label("camp_prompt_tag"),
        step=step.name,
        error=step.error,
        ballots=step.data["ballots"],
        ex=builder.examples(context.now(), context.bot_data.settings.tz),
    )
    if step.name in builder.CHOICES:
        if step.name == "confirm":
            spec = builder.draft_spec(
                step.data, now=context.now(), tz=context.bot_data.settings.tz
            )
            text += "\n\n" + _preview_text(spec)
        choices = [
            button(label(f"camp_{step.name}_{v}"), f"camp:d:{step.name}:{v}")
            for v in builder.CHOICES[step.name]
        ]
        await reply(update, text, keyboard([choices]))
        return
    chat = update.effective_chat
    assert chat is not None
    prompt = await chat.send_message(text, reply_markup=ForceReply(selective=True))
    await context.db(builder.set_prompt, admin_id=user_id(update), message_id=prompt.message_id)


@require_admin
async def campaign_new(update: Update, context: Context) -> None:
    """/campaign_new — start a campaign step by step."""
    step = await context.db(builder.start, admin_id=user_id(update), now=context.now())
    await _prompt(update, context, step)


@require_admin
async def builder_reply(update: Update, context: Context) -> None:
    """A typed answer to a /campaign_new prompt (取消 drops the draft)."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    admin, text = user_id(update), message.text or ""
    if text.strip() in builder.CANCEL_WORDS:
        dropped = await context.db(builder.cancel, admin_id=admin)
        await reply(update, render("campaign_state", event="cancelled" if dropped else "no_draft"))
        return
    prompt_id, tz = message.reply_to_message.message_id, context.bot_data.settings.tz
    try:
        step = await context.db(
            builder.answer_text,
            admin_id=admin,
            prompt_id=prompt_id,
            text=text,
            now=context.now(),
            tz=tz,
        )
    except Refusal:
        await refuse(update, refused("old_prompt"))
        return
    await _prompt(update, context, step)


def _choose(session: Session, admin: int, step: str, value: str, context: Context) -> Any:
    if step != "confirm":
        return builder.answer_choice(session, admin_id=admin, step=step, value=value)
    if value == "save":
        return builder.save(
            session, admin_id=admin, now=context.now(), tz=context.bot_data.settings.tz
        )
    return builder.cancel(session, admin_id=admin)


@require_admin
async def builder_choice(update: Update, context: Context) -> None:
    """camp:d:<step>:<value> — a button answer; 保存草稿 creates the draft campaign."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, step, value = query.data.split(":")
    done = await attempt(
        update, context, lambda s: _choose(s, user_id(update), step, value, context)
    )
    if done is None:
        return
    await answer_query(update)
    await query.edit_message_reply_markup(None)
    if isinstance(done, builder.Step):
        await _prompt(update, context, done)
    elif isinstance(done, Campaign):
        await _created(update, context, done.id or 0)
    else:
        await reply(update, render("campaign_state", event="cancelled"))


@with_campaign_id("campaign_preview")
async def preview_command(update: Update, context: Context, campaign_id: int) -> None:
    """/campaign_preview <id> — the campaign as it will be shown."""
    await show_preview(update, context, campaign_id)


@require_admin
async def delete_button(update: Update, context: Context) -> None:
    """camp:del:<id> — delete a campaign that never opened."""
    campaign_id = callback_number(update, 2)
    deleted = await context.db(svc.delete_draft_campaign, campaign_id)
    if not deleted:
        await refuse(update, refused("stale"))
        return
    await log_action(context, update, "campaign:delete", campaign_id)
    await answer_query(update)
    await reply(update, render("campaign_state", event="deleted", campaign_id=campaign_id))


_YAML = filters.Document.FileExtension("yaml") | filters.Document.FileExtension("yml")
_PROMPT_REPLY = (
    filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & ReplyToTag("camp_prompt_tag")
)

HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("campaign_new", campaign_new),
    CommandHandler("campaign_preview", preview_command),
    MessageHandler(filters.ChatType.PRIVATE & _YAML, upload_definition),
    MessageHandler(_PROMPT_REPLY, builder_reply),
    CallbackQueryHandler(builder_choice, pattern=r"^camp:d:[a-z_]+:[a-z_]+$"),
    CallbackQueryHandler(delete_button, pattern=r"^camp:del:\d+$"),
]
