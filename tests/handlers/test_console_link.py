"""/console: staff get a single-use sign-in link in private; nobody else does."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from bot.console.auth import hash_token
from bot.console.models import ConsoleLink
from bot.sandbox.driver import Driver
from tests.conftest import ADMIN, INSPECTOR

LINK = re.compile(r"http://127\.0\.0\.1:8080/login/(\S+)")


async def test_staff_get_a_link_citizens_do_not(driver: Driver, engine) -> None:
    [reply] = await driver.send(ADMIN, "/console")
    found = LINK.search(reply.text or "")
    assert found and "10 分钟内有效，只能使用一次" in (reply.text or "")
    [inspector] = await driver.send(INSPECTOR, "/console")
    assert LINK.search(inspector.text or "")
    [citizen] = await driver.send(30001, "/console")
    assert citizen.text == "这个命令只有监管人员可以使用。"
    with Session(engine) as session:
        rows = session.exec(select(ConsoleLink)).all()
        assert {r.user_id for r in rows} == {ADMIN, INSPECTOR}
        assert hash_token(found.group(1)) in {r.token_hash for r in rows}
