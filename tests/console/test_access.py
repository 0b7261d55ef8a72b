"""Every console route's access rules: anonymous, citizen, inspector, admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session
from starlette.routing import Route

from bot.console.app import create_app
from bot.console.auth import hash_token
from bot.console.models import ConsoleSession
from bot.console.web import COOKIE
from bot.models import Broadcast, utcnow
from tests.conftest import ADMIN, INSPECTOR, make_settings
from tests.console.conftest import CITIZEN
from tests.console.helpers import make_campaign

# (method, path, who may: "public" | "inspector" | "admin")
RULES = [
    ("GET", "/", "inspector"),
    ("GET", "/qa?q=健康证多久办一次", "inspector"),
    ("GET", "/qa/unanswered", "inspector"),
    ("GET", "/exams", "inspector"),
    ("GET", "/exams.xlsx", "inspector"),
    ("GET", "/exams/issue", "inspector"),
    ("POST", "/exams/issue", "inspector"),
    ("GET", "/exams/batch", "inspector"),
    ("POST", "/exams/batch", "inspector"),
    ("GET", "/exams/paper", "admin"),
    ("POST", "/exams/paper", "admin"),
    ("GET", "/pending", "admin"),
    ("GET", "/pending.csv", "admin"),
    ("POST", "/pending/1/reply", "admin"),
    ("POST", "/pending/1/dismiss", "admin"),
    ("POST", "/pending/1/needs-entry", "admin"),
    ("POST", "/pending/1/needs-entry/remove", "admin"),
    ("GET", "/needs-entry", "admin"),
    ("GET", "/needs-entry.csv", "admin"),
    ("GET", "/campaigns", "admin"),
    ("GET", "/campaigns/{cid}", "admin"),
    ("GET", "/campaigns/new", "admin"),
    ("POST", "/campaigns/new", "admin"),
    ("GET", "/campaigns/{cid}/edit", "admin"),
    ("POST", "/campaigns/{cid}/edit", "admin"),
    ("POST", "/campaigns/{cid}/open", "admin"),
    ("POST", "/campaigns/{cid}/close", "admin"),
    ("POST", "/campaigns/{cid}/outcome", "admin"),
    ("POST", "/campaigns/{cid}/publish", "admin"),
    ("GET", "/campaigns/{cid}/results.xlsx", "admin"),
    ("GET", "/campaigns/{cid}/chart/1.png", "admin"),
    ("GET", "/tips", "admin"),
    ("POST", "/tips/occasion", "admin"),
    ("GET", "/tips/send/{tip}", "admin"),
    ("POST", "/tips/send/{tip}", "admin"),
    ("GET", "/broadcasts/new", "admin"),
    ("POST", "/broadcasts/new", "admin"),
    ("GET", "/broadcasts/{bid}", "admin"),
    ("GET", "/broadcasts/{bid}/progress", "admin"),
    ("POST", "/broadcasts/{bid}/send", "admin"),
    ("POST", "/broadcasts/{bid}/cancel", "admin"),
    ("GET", "/audit", "admin"),
    ("POST", "/logout", "inspector"),
    ("GET", "/login", "public"),
    ("GET", "/public/campaigns/{cid}", "public"),
]


def test_every_route_has_a_rule() -> None:
    app = create_app(make_settings(), state=None)
    declared = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or ())
        if method != "HEAD"
    }
    ruled = {(m, p.split("?")[0]) for m, p, _ in RULES} | {
        ("GET", "/login/{token}"),
        ("POST", "/login/{token}"),
    }
    normalised = {
        (
            m,
            p.replace("{item_id:int}", "1")
            .replace("{campaign_id:int}", "{cid}")
            .replace("{number:int}", "1")
            .replace("{broadcast_id:int}", "{bid}")
            .replace("{key}/{day}", "{tip}"),
        )
        for m, p in declared
    }
    assert normalised == ruled


def _citizen_session(engine, client) -> None:
    """A session row for someone with no staff role: worth nothing."""
    with Session(engine) as session:
        session.add(
            ConsoleSession(
                token_hash=hash_token("citizen-token"),
                user_id=CITIZEN,
                csrf="c",
                created_at=utcnow(),
                last_seen=utcnow(),
            )
        )
        session.commit()
    client.cookies.set(COOKIE, "citizen-token")


@pytest.mark.parametrize("who", ["anonymous", "citizen", "inspector", "admin"])
def test_access_rules(who: str, client_for, engine) -> None:
    with Session(engine) as session:
        cid = make_campaign(session)
        draft = Broadcast(kind="admin", text="通知", topic="all", created_by=ADMIN)
        session.add(draft)
        session.commit()
        bid = draft.id
    tip = f"national_day/{datetime.now(UTC).year + 1}-10-01"
    user = {"anonymous": None, "citizen": None, "inspector": INSPECTOR, "admin": ADMIN}[who]
    client = client_for(user)
    if who == "citizen":
        _citizen_session(engine, client)
    csrf = getattr(client, "csrf", "")
    for method, template, rule in RULES:
        path = template.format(cid=cid, bid=bid, tip=tip)
        if rule == "public" and "public/campaigns" in path:
            continue  # a draft's public page is 404 for everyone; see test_campaigns
        if method == "GET":
            response = client.get(path, follow_redirects=False)
        else:
            response = client.post(path, data={"csrf": csrf}, follow_redirects=False)
        allowed = rule == "public" or (
            who in ("inspector", "admin") and (rule == "inspector" or who == "admin")
        )
        if allowed:
            assert response.status_code < 500, (path, response.status_code)
            assert response.status_code not in (401, 403), (who, path)
            if method == "GET" and path != "/login":
                assert response.status_code == 200, (who, path, response.status_code)
        elif who in ("anonymous", "citizen"):
            expected = 303 if method == "GET" else 401
            assert response.status_code == expected, (who, path, response.status_code)
            if method == "GET":
                assert response.headers["location"] == "/login"
        else:
            assert response.status_code == 403, (who, path, response.status_code)
            assert "只有管理员" in response.text
        if path == "/logout" and allowed:
            client = client_for(user)  # signed out: sign in again for the rest
            csrf = client.csrf


def test_post_without_csrf_is_refused(client_for, engine) -> None:
    with Session(engine) as session:
        cid = make_campaign(session)
    admin = client_for(ADMIN)
    response = admin.post(f"/campaigns/{cid}/open", data={"csrf": "nope"})
    assert response.status_code == 403
    assert "草稿" in admin.get(f"/campaigns/{cid}").text  # nothing changed


def test_oversized_form_is_refused(client_for) -> None:
    admin = client_for(ADMIN)
    body = {"csrf": admin.csrf, "answer": "长" * 40_000}
    response = admin.post("/pending/1/reply", data=body)
    assert response.status_code == 413 and "超过了大小限制" in response.text


def test_expired_session_row_is_anonymous(client_for, engine) -> None:
    client = client_for(None)
    with Session(engine) as session:
        old = utcnow() - timedelta(hours=9)
        session.add(
            ConsoleSession(
                token_hash=hash_token("old"),
                user_id=ADMIN,
                csrf="c",
                created_at=old,
                last_seen=old,
            )
        )
        session.commit()
    client.cookies.set(COOKIE, "old")
    assert client.get("/audit", follow_redirects=False).status_code == 303
