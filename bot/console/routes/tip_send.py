"""节日提示: send one occasion's tip now, with the bot's /tips_send preview (the message as
subscribers will see it, how many they are, when it would have been pushed) and its service."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.broadcasts.quiet import quiet_now
from bot.console.auth import Staff
from bot.console.routes.tips import tips
from bot.console.web import db, form_text, page, staff_page, state
from bot.models import Broadcast, as_utc
from bot.render import render
from bot.tips.subscriptions import active_subscribers
from scheduler.calendar import Occasion
from scheduler.tips_schedule import (
    find_occasion,
    occasion_push_at,
    send_tip_now,
    tip_key,
    tip_text,
)

__all__ = ["ROUTES"]


def _occasion(session: Session, key: str, day: str) -> Occasion | None:
    """The occasion the link names, on the day it names (as the bot's confirm button checks)."""
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        return None
    occasion = find_occasion(session, key, wanted)
    return occasion if occasion is not None and occasion.day == wanted else None


def _sent_before(session: Session, occasion: Occasion) -> Broadcast | None:
    return session.exec(
        select(Broadcast).where(Broadcast.key == tip_key(occasion.key, occasion.day.year))
    ).first()


@staff_page("admin")
async def preview(request: Request, staff: Staff) -> Response:
    """The tip as subscribers will see it, their number, and the send button."""
    settings = state(request).settings
    with db(request) as session:
        occasion = _occasion(session, request.path_params["key"], request.path_params["day"])
        text = tip_text(tips(), occasion) if occasion else None
        if occasion is None or text is None:
            return page(request, "denied", staff=staff, reason="missing", status=404)
        subscribers = len(active_subscribers(session, "tips"))
        before = _sent_before(session, occasion)
    at = occasion_push_at(settings, occasion.day)
    quiet = None if before else quiet_now(settings, state(request).clock(), subscribers)
    head = render(
        "tips_preview",
        occasion=occasion,
        push_at=at,
        subscribers=subscribers,
        confirm=not before,
        sent=before,
        sent_at=as_utc(before.created_at) if before else None,
        quiet=quiet,
    )
    already = render("tips_already_sent", b=before) if before else ""
    return page(
        request,
        "tip_send",
        staff=staff,
        occasion=occasion,
        head=head,
        text=text,
        already=already,
        before=before,
        night_choice=quiet is not None,
    )


@staff_page("admin")
async def send(request: Request, staff: Staff) -> Response:
    """Queue the tip to every tips subscriber now, once a year per occasion (the bot sends it)."""
    night = form_text(await request.form(), "night") == "1"
    with db(request) as session:
        occasion = _occasion(session, request.path_params["key"], request.path_params["day"])
        text = tip_text(tips(), occasion) if occasion else None
        if occasion is None or text is None:
            return page(request, "denied", staff=staff, reason="missing", status=404)
        before = _sent_before(session, occasion)
        broadcast = send_tip_now(
            session,
            occasion=occasion,
            text=text,
            admin_id=staff.user_id,
            respect_quiet_hours=not night,
        )
    done = "already" if before else "tip"
    return RedirectResponse(f"/broadcasts/{broadcast.id}?done={done}", status_code=303)


ROUTES = [
    Route("/tips/send/{key}/{day}", preview, methods=["GET"]),
    Route("/tips/send/{key}/{day}", send, methods=["POST"]),
]
