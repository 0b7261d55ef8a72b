"""Sign-in links: single use, 10 minutes, staff only; sessions: cookie flags, idle, logout."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.console.app import create_app
from bot.console.auth import create_link, hash_token
from bot.console.models import ConsoleLink, ConsoleSession
from bot.models import AuditLog, utcnow
from tests.conftest import ADMIN, INSPECTOR, make_settings
from tests.console.conftest import CITIZEN, console_state


def _link(engine, user_id: int, *, age: timedelta = timedelta(0)) -> str:
    with Session(engine) as session:
        return create_link(session, user_id=user_id, now=utcnow() - age)


def test_link_is_single_use_and_stored_hashed(client_for, engine) -> None:
    client = client_for(None)
    token = _link(engine, ADMIN)
    with Session(engine) as session:
        [row] = session.exec(select(ConsoleLink)).all()
        assert row.token_hash == hash_token(token) and token not in row.token_hash
    opened = client.get(f"/login/{token}")
    assert "进入工作台" in opened.text  # a GET (a link preview) does not use the link
    response = client.post(f"/login/{token}", follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert client.get("/").status_code == 200
    again = client_for(None).get(f"/login/{token}")
    assert again.status_code == 410
    assert "这个登录链接已经用过了" in again.text
    reused = client_for(None).post(f"/login/{token}", follow_redirects=False)
    assert reused.status_code == 410
    with Session(engine) as session:
        assert session.exec(select(AuditLog.action)).all() == ["console:login"]


def test_expired_and_unknown_links_say_so(client_for, engine) -> None:
    client = client_for(None)
    expired = _link(engine, ADMIN, age=timedelta(minutes=11))
    page = client.get(f"/login/{expired}")
    assert page.status_code == 410
    assert "这个登录链接已过期（有效期 10 分钟）" in page.text
    assert client.post(f"/login/{expired}").status_code == 410
    unknown = client.get("/login/nonsense")
    assert unknown.status_code == 404
    assert "这个登录链接无效" in unknown.text


def test_citizen_link_opens_nothing(client_for, engine) -> None:
    client = client_for(None)
    token = _link(engine, CITIZEN)
    response = client.post(f"/login/{token}", follow_redirects=False)
    assert response.status_code == 403
    assert "您没有监管人员或管理员权限" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_secure_cookie_behind_https(engine) -> None:
    settings = make_settings(console_url="https://console.example.gov.cn")
    client = TestClient(create_app(settings, state=console_state(settings, engine)))
    token = _link(engine, INSPECTOR)
    response = client.post(f"/login/{token}", follow_redirects=False)
    assert "Secure" in response.headers["set-cookie"]


def test_idle_timeout_and_logout(client_for, engine) -> None:
    client = client_for(ADMIN)
    assert client.get("/").status_code == 200
    with Session(engine) as session:
        row = session.exec(select(ConsoleSession)).one()
        row.last_seen = utcnow() - timedelta(hours=8, minutes=1)
        session.add(row)
        session.commit()
    assert client.get("/", follow_redirects=False).status_code == 303
    client = client_for(ADMIN)
    bad = client.post("/logout", data={"csrf": "forged"})
    assert bad.status_code == 403
    assert "表单校验失败" in bad.text
    out = client.post("/logout", data={"csrf": client.csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_revoked_inspector_loses_the_session(client_for, engine, settings) -> None:
    from bot.staff.roles import grant_role, revoke_role

    granted = 40001
    with Session(engine) as session:
        from bot.models import User

        session.add(User(id=granted, display_name="g"))
        session.commit()
        grant_role(session, actor_id=ADMIN, user_id=granted)
    client = client_for(granted)
    assert client.get("/").status_code == 200
    with Session(engine) as session:
        revoke_role(session, actor_id=ADMIN, user_id=granted)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_cli_link_prints_url_on_its_own_line(tmp_path, monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    monkeypatch.setenv("ADMIN_USER_IDS", str(ADMIN))
    monkeypatch.setenv("CONSOLE_URL", "https://gz.example.cn/console/")
    monkeypatch.chdir(tmp_path)
    assert main(["console", "link", "--user", str(ADMIN)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("https://gz.example.cn/console/login/")
    assert main(["console", "link", "--user", str(CITIZEN)]) == 2
    assert "不是管理员或监管人员" in capsys.readouterr().err
