"""Sign-in through a single-use link, and logout.

Opening the link shows a button; only pressing it (a POST) uses the link. Link previews and
mail scanners fetch with GET, so they never burn it, and the session cookie (SameSite=Strict)
is set by a same-site request, so the browser sends it on the next page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import LinkProblem, Staff, end_session, link_problem, redeem_link
from bot.console.web import COOKIE, db, page, staff_page, state
from bot.users import audit

__all__ = ["ROUTES"]


async def signin_help(request: Request) -> Response:
    """How to get a sign-in link (the page anonymous visitors are sent to)."""
    return page(request, "signin", problem=None, token=None)


def _problem_status(problem: LinkProblem) -> int:
    return 404 if problem is LinkProblem.UNKNOWN else 410


async def link_page(request: Request) -> Response:
    """A sign-in link: a confirm button, or why the link no longer works."""
    token = str(request.path_params["token"])
    console = state(request)
    with db(request) as session:
        problem = link_problem(session, token=token, now=console.clock())
    if problem is not None:
        status = _problem_status(problem)
        return page(request, "signin", problem=problem.value, token=None, status=status)
    return page(request, "signin", problem=None, token=token)


async def redeem(request: Request) -> Response:
    """Use the link once and start a session."""
    token = str(request.path_params["token"])
    console = state(request)
    with db(request) as session:
        result = redeem_link(session, console.roles, token=token, now=console.clock())
        if isinstance(result, LinkProblem):
            status = 403 if result is LinkProblem.NOT_STAFF else _problem_status(result)
            return page(request, "signin", problem=result.value, token=None, status=status)
        cookie, row = result
        audit(session, actor_id=row.user_id, action="console:login", detail="[工作台]")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=console.settings.console_url.startswith("https://"),
        path="/",
    )
    return response


@staff_page()
async def logout(request: Request, staff: Staff) -> Response:
    """End the session; the cookie stops working at once."""
    console = state(request)
    with db(request) as session:
        end_session(session, session_hash=staff.session_hash, now=console.clock())
        audit(session, actor_id=staff.user_id, action="console:logout", detail="[工作台]")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


ROUTES = [
    Route("/login", signin_help, methods=["GET"]),
    Route("/login/{token}", link_page, methods=["GET"]),
    Route("/login/{token}", redeem, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
