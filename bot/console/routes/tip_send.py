"""节日提示: send one occasion's tip now or at a chosen time, with the bot's /tips_send preview
(the message as subscribers will see it, how many they are, when it would have been pushed) and
its service."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.broadcasts.quiet import quiet_now
from bot.broadcasts.schedule import SendAfter, parse_send_after
from bot.broadcasts.services import find_broadcast
from bot.console.auth import Staff
from bot.console.routes.broadcasts import SCHEDULE_ERRORS
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
    return find_broadcast(session, tip_key(occasion.key, occasion.day.year))


def _page(
    request: Request,
    staff: Staff,
    session: Session,
    occasion: Occasion,
    text: str,
    *,
    send_at: str = "",
    error: str = "",
) -> Response:
    settings = state(request).settings
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
        status=400 if error else 200,
        occasion=occasion,
        head=head,
        text=text,
        already=already,
        before=before,
        night_choice=quiet is not None,
        send_at=send_at,
        error=error,
    )


@staff_page("admin")
async def preview(request: Request, staff: Staff) -> Response:
    """The tip as subscribers will see it, their number, and the send button."""
    with db(request) as session:
        occasion = _occasion(session, request.path_params["key"], request.path_params["day"])
        text = tip_text(tips(), occasion) if occasion else None
        if occasion is None or text is None:
            return page(request, "denied", staff=staff, reason="missing", status=404)
        return _page(request, staff, session, occasion, text)


@staff_page("admin")
async def send(request: Request, staff: Staff) -> Response:
    """Queue the tip to every tips subscriber, now or at the typed time; once a year."""
    form = await request.form()
    night = form_text(form, "night") == "1"
    send_at = form_text(form, "send_at")
    console = state(request)
    schedule: SendAfter = parse_send_after(send_at, tz=console.settings.tz, now=console.clock())
    with db(request) as session:
        occasion = _occasion(session, request.path_params["key"], request.path_params["day"])
        text = tip_text(tips(), occasion) if occasion else None
        if occasion is None or text is None:
            return page(request, "denied", staff=staff, reason="missing", status=404)
        if schedule.error:
            error = SCHEDULE_ERRORS[schedule.error]
            return _page(request, staff, session, occasion, text, send_at=send_at, error=error)
        before = _sent_before(session, occasion)
        broadcast = send_tip_now(
            session,
            occasion=occasion,
            text=text,
            admin_id=staff.user_id,
            respect_quiet_hours=not night,
            send_after=schedule.when,
        )
    done = "already" if before else ("scheduled" if schedule.when else "tip")
    return RedirectResponse(f"/broadcasts/{broadcast.id}?done={done}", status_code=303)


ROUTES = [
    Route("/tips/send/{key}/{day}", preview, methods=["GET"]),
    Route("/tips/send/{key}/{day}", send, methods=["POST"]),
]
