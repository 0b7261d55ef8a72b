"""政策问答: questions, answers with citations, 查看原文, feedback, the staff queue, /topics."""

from __future__ import annotations

import math
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.guidance import services as guidance
from bot.guidance import steps
from bot.kit import Context, Outcome, deliver
from bot.models import PendingQuestion
from bot.render import is_blank, label, render
from handlers.common import (
    answer_query,
    args_text,
    button,
    keyboard,
    parse_int,
    reply,
    require_admin,
    user_id,
)
from knowledge.answering import answer
from knowledge.loader import Entry
from knowledge.vocab import sources, topics

__all__ = ["HANDLERS", "MENU_ACTIONS", "TEXT_HANDLERS"]

TOPIC_PAGE = 8


# How long a reply waits for its log rows; past it (a write-locked database) the answer goes
# out without the buttons that name a log row, and the rows are written when the lock ends.
LOG_WAIT = 2.0


def _answer_markup(
    context: Context, entry: Entry, log_id: int | None
) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    if log_id is not None:
        rows.append([button(label("source_text"), f"ans:src:{log_id}")])
        rows.append(
            [
                button(label("helpful"), f"ans:fb:{log_id}:1"),
                button(label("not_solved"), f"ans:fb:{log_id}:0"),
            ]
        )
    for other in context.bot_data.knowledge.related(entry, limit=3):
        rows.append([button(label("related", question=other.question[:40]), f"ans:q:{other.id}")])
    return keyboard(rows)


def _leave_markup(log_id: int | None) -> InlineKeyboardMarkup | None:
    if log_id is None:
        return None
    return keyboard([[button(label("leave_question"), f"ans:leave:{log_id}")]])


async def _answer(update: Update, context: Context, text: str) -> None:
    if not guidance.has_words(text):  # emoji or digits alone are not a question to search
        await reply(update, render("no_words"))
        return
    uid = user_id(update)
    index = context.bot_data.knowledge
    sender = await context.user_row(uid)
    business_type = sender.business_type if sender else None
    found = answer(index, text, business_type=business_type)
    logged = await context.db_within(
        LOG_WAIT, guidance.log_reply, found, user_id=uid, text=text, business_type=business_type
    )
    log_ids: tuple[int | None, ...] = logged or (None,) * (len(found.answered) + 1)
    answered, several = found.answered, len(found.answered) > 1
    for part, log_id in zip(answered, log_ids, strict=False):
        show = several or guidance.shows_question(part.text, part.entry, index.analyzer)
        body = render("answer", entry=part.entry, chosen=show, asked_preview="")
        await reply(update, body, _answer_markup(context, part.entry, log_id))
    rest_log = log_ids[-1]
    if found.suggestions:
        rows = [
            [button(f"{i}. {h.entry.question[:50]}", f"ans:q:{h.entry.id}")]
            for i, h in enumerate(found.suggestions, 1)
        ]
        if rest_log is not None:
            rows.append([button(label("leave_question"), f"ans:leave:{rest_log}")])
        rest = found.unanswered if answered else ""
        body = render("suggestions", hits=found.suggestions, rest=rest)
        await reply(update, body, keyboard(rows))
    elif found.unanswered and answered:
        body = render("no_answer_rest", rest=found.unanswered)
        await reply(update, body, _leave_markup(rest_log))
    elif not answered:
        hint = "" if index.analyzer.has_cjk(text) else "请用中文提问。"
        await reply(update, render("no_answer", hint=hint), _leave_markup(rest_log))


async def question(update: Update, context: Context) -> None:
    """Any text in a private chat is a question (an edited one is answered anew).

    A feature waiting for typed input (an admin's draft, an exam candidate's name) gets the
    text first through its text inputs (bot/kit/registration.py).
    """
    message = update.effective_message
    if message is None or not message.text:
        return
    if update.message is not None:
        for intercept in await context.awaited_inputs(user_id(update), message.text):
            if await intercept(update, context):
                return
    await _answer(update, context, message.text)


async def ask_command(update: Update, context: Context) -> None:
    """/ask <question>, mainly for groups."""
    text = args_text(context)
    if not text:
        await reply(update, render("ask_usage"))
        return
    await _answer(update, context, text)


async def group_mention(update: Update, context: Context) -> None:
    """In groups, a message that mentions the bot is a question."""
    message = update.effective_message
    if message is None or not message.text:
        return
    mention = f"@{context.bot.username}"
    mentions = message.parse_entities([MessageEntity.MENTION]).values()
    if mention.lower() not in (m.lower() for m in mentions):
        return
    text = message.text.replace(mention, "").strip()
    if text:
        await _answer(update, context, text)
    else:
        await reply(update, render("group_hint", bot_username=context.bot.username))


async def show_entry(update: Update, context: Context) -> None:
    """ans:q:<entry_id> — show a chosen entry (suggestion, related question, topic list)."""
    assert update.callback_query is not None and update.callback_query.data
    entry = context.bot_data.knowledge.by_id.get(update.callback_query.data.split(":", 2)[2])
    if entry is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    log_id = await context.db(guidance.choose_entry, user_id=user_id(update), entry=entry)
    body = render("answer", entry=entry, chosen=True, asked_preview="")
    await reply(update, body, _answer_markup(context, entry, log_id))


async def show_source(update: Update, context: Context) -> None:
    """ans:src:<log_id> — the cited articles' text, when the statute has been imported."""
    assert update.callback_query is not None and update.callback_query.data
    log_id = parse_int(update.callback_query.data.split(":")[2]) or 0
    found = await context.db(steps.cited_articles, log_id, context.bot_data.knowledge.by_id)
    if not found:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await reply(update, render("articles", found=found, sources=sources()))


async def feedback(update: Update, context: Context) -> None:
    """ans:fb:<log_id>:<1|0> — 有用 / 没解决 from the asker."""
    assert update.callback_query is not None and update.callback_query.data
    _, _, raw_id, raw_flag = update.callback_query.data.split(":")
    log_id, helpful = parse_int(raw_id) or 0, raw_flag == "1"
    ok = await context.db(
        guidance.record_feedback, log_id=log_id, user_id=user_id(update), helpful=helpful
    )
    if not ok:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update, render("feedback_thanks", helpful=helpful))
    if not helpful:
        await reply(update, render("feedback_thanks", helpful=False), _leave_markup(log_id))


async def leave(update: Update, context: Context) -> None:
    """ans:leave:<log_id> — queue the question for staff."""
    assert update.callback_query is not None and update.callback_query.data
    chat = update.effective_chat
    log_id = parse_int(update.callback_query.data.split(":")[2]) or 0
    item = await context.db(
        guidance.leave_question,
        log_id=log_id,
        user_id=user_id(update),
        chat_id=chat.id if chat else 0,
    )
    if item is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await reply(update, render("left_question", item=item))


async def list_topics(update: Update, context: Context) -> None:
    """/topics — the topic buttons."""
    index = context.bot_data.knowledge
    rows = [
        [button(f"{t}（{len(index.by_topic(t))}）", f"top:t:{i}:0")]
        for i, t in enumerate(topics())
        if index.by_topic(t)
    ]
    await reply(update, render("topics", total=len(index.entries)), keyboard(rows))


async def topic_page(update: Update, context: Context) -> None:
    """top:t:<topic>:<page> — one page of a topic's questions, edited in place."""
    query = update.callback_query
    assert query is not None and query.data
    _, _, raw_topic, raw_page = query.data.split(":")
    number, page = parse_int(raw_topic), parse_int(raw_page)
    view = _topic_view(context, number, page) if number is not None and page is not None else None
    if view is None:
        await answer_query(update, render("stale_button"), alert=True)
        return
    await answer_query(update)
    await query.edit_message_text(view[0], reply_markup=view[1])


def _topic_view(
    context: Context, number: int, page: int
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """One page of a topic's questions as (text, buttons); None for a page that is not there."""
    names = topics()
    entries = context.bot_data.knowledge.by_topic(names[number]) if number < len(names) else []
    pages = max(1, math.ceil(len(entries) / TOPIC_PAGE))
    if not entries or page >= pages:
        return None
    first = page * TOPIC_PAGE
    shown = entries[first : first + TOPIC_PAGE]
    rows = [[button(f"{first + i}. {e.question[:50]}", f"ans:q:{e.id}")]
            for i, e in enumerate(shown, 1)]  # fmt: skip
    nav = [button("⬅️", f"top:t:{number}:{page - 1}")] if page > 0 else []
    if page + 1 < pages:
        nav.append(button("➡️", f"top:t:{number}:{page + 1}"))
    rows += [nav, [button(label("back_topics"), "top:list")]]
    text = render("topic_entries", topic=names[number], count=len(entries), entries=shown,
                  offset=first, page=page, pages=pages)  # fmt: skip
    return text, keyboard(rows)


async def back_to_topics(update: Update, context: Context) -> None:
    """top:list — back to the topic buttons."""
    await answer_query(update)
    await list_topics(update, context)


async def prompt_question(update: Update, context: Context) -> None:
    """Main-menu 政策问答: explain how to ask."""
    await reply(update, render("ask_prompt"))


# --- staff ------------------------------------------------------------------------------------


@require_admin
async def pending(update: Update, context: Context) -> None:
    """/pending — open questions left for staff."""
    items, total = await context.db(guidance.list_pending)
    await reply(update, render("pending_list", items=items, total=total))


@require_admin
async def reply_item(update: Update, context: Context) -> None:
    """/reply <id> <text> — answer an item; it stays open when the asker cannot get it."""
    number, _, text = args_text(context).partition(" ")
    item_id = parse_int(number)
    if item_id is None or is_blank(text):
        await reply(update, render("bad_usage", usage="/reply 编号 回复内容", hint=""))
        return
    item = await context.db(guidance.open_item, item_id)
    outcome = await _send_reply(context, item, text.strip(), user_id(update)) if item else None
    await reply(update, render("pending_done", item=item, item_id=item_id, outcome=outcome))


async def _send_reply(context: Context, item: PendingQuestion, text: str, admin: int) -> Outcome:
    """Send first, then record: a question is answered only if the answer may have arrived."""
    outcome = await deliver(
        context.bot, item.chat_id, render("staff_reply", item=item, answer=text)
    )
    answered = outcome in (Outcome.SENT, Outcome.UNCERTAIN)
    blocked = outcome is Outcome.BLOCKED
    await context.db(
        steps.settle_reply, item, admin=admin, text=text, answered=answered, blocked=blocked
    )
    item.status = "answered" if answered else item.status
    return outcome


@require_admin
async def dismiss(update: Update, context: Context) -> None:
    """/dismiss <id> — close an item without answering."""
    item_id = parse_int(args_text(context))
    if item_id is None:
        await reply(update, render("bad_usage", usage="/dismiss 编号", hint=""))
        return
    admin = user_id(update)
    item = await context.db(steps.dismiss_audited, item_id, admin)
    delivered = item is not None and await _tell_asker(context, item)
    await reply(
        update,
        render("pending_done", item=item, item_id=item_id, outcome=None, delivered=delivered),
    )


async def _tell_asker(context: Context, item: PendingQuestion) -> bool:
    """The asker learns their question was closed without an answer (False: not delivered)."""
    try:
        await context.bot.send_message(item.chat_id, render("pending_dismissed", item=item))
    except Forbidden:
        return False
    return True


@require_admin
async def pending_export(update: Update, context: Context) -> None:
    """/pending_export — the whole queue as CSV."""
    data = await context.db(guidance.export_pending_csv, context.bot_data.settings.tz)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_document(data, filename="pending_questions.csv")


@require_admin
async def stats(update: Update, context: Context) -> None:
    """/stats — most asked topics, unanswered and helpful rates."""
    figures = await context.db(guidance.guidance_stats)
    await reply(update, render("guidance_stats", s=figures))


HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    CommandHandler("ask", ask_command),
    CommandHandler("topics", list_topics),
    CommandHandler("pending", pending),
    CommandHandler("reply", reply_item),
    CommandHandler("dismiss", dismiss),
    CommandHandler("pending_export", pending_export),
    CommandHandler("stats", stats),
    CallbackQueryHandler(show_entry, pattern=r"^ans:q:[a-z0-9-]+$"),
    CallbackQueryHandler(show_source, pattern=r"^ans:src:\d+$"),
    CallbackQueryHandler(feedback, pattern=r"^ans:fb:\d+:[01]$"),
    CallbackQueryHandler(leave, pattern=r"^ans:leave:\d+$"),
    CallbackQueryHandler(topic_page, pattern=r"^top:t:\d+:\d+$"),
    CallbackQueryHandler(back_to_topics, pattern=r"^top:list$"),
]

# Registered after every feature so that their own text handlers (drafts, answers) come first.
TEXT_HANDLERS: list[BaseHandler[Update, Context, Any]] = [
    MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, question),
    MessageHandler(
        filters.ChatType.GROUPS & filters.TEXT & filters.Entity(MessageEntity.MENTION),
        group_mention,
    ),
]

MENU_ACTIONS = {"menu_ask": prompt_question, "menu_topics": list_topics}
