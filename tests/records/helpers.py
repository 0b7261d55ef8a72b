"""Shared steps of the records tests: register an enterprise and bring its people in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.records.codes import credit_check_char
from bot.records.models import Enterprise
from bot.sandbox.driver import Driver
from bot.sandbox.state import StoredMessage

LINK = re.compile(r"start=join_([A-Za-z0-9_-]+)")
SHANGHAI = timedelta(hours=8)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """2027 (1 March is a Monday), Shanghai wall-clock time, as UTC."""
    return datetime(2027, month, day, hour, minute, tzinfo=UTC) - SHANGHAI


def opened(engine: Engine, moment: datetime) -> None:
    """Every enterprise was registered at this moment (nothing is expected before it)."""
    with Session(engine) as session:
        for enterprise in session.exec(select(Enterprise)).all():
            enterprise.created_at = moment
            session.add(enterprise)
        session.commit()


def credit_code(serial: int) -> str:
    """A valid 统一社会信用代码 for tests (GB 32100 check character)."""
    first17 = f"9137{serial:013d}"
    return first17 + credit_check_char(first17)


def join_token(message: StoredMessage) -> str:
    """The token of the join link in a message."""
    found = LINK.search(message.text or "")
    assert found is not None, message.text
    return found.group(1)


async def register(
    driver: Driver,
    principal: int,
    *,
    name: str = "好味道餐馆",
    code: str | None = None,
    township: str = "城关街道",
    sector: str = "餐饮服务",
) -> StoredMessage:
    """Walk /enterprise_new to the end; the last message carries the invite buttons."""
    await driver.send(principal, "/enterprise_new")
    await driver.send(principal, name)
    await driver.send(principal, code or credit_code(principal))
    [prompt] = await driver.send(principal, township)
    [done] = await driver.press(principal, prompt, sector)
    return done


async def invite(driver: Driver, principal: int, done: StoredMessage, role_button: str) -> str:
    """Press an invite button; the token of the link it gives."""
    [link] = await driver.press(principal, done, role_button)
    return join_token(link)


async def staffed(
    driver: Driver, principal: int, director: int, officer: int, **kwargs: str
) -> StoredMessage:
    """A registered enterprise with its 总监 and 安全员 joined; the registration message."""
    done = await register(driver, principal, **kwargs)
    token = await invite(driver, principal, done, "邀请食品安全总监")
    await driver.send(director, f"/start join_{token}")
    token = await invite(driver, principal, done, "邀请食品安全员")
    await driver.send(officer, f"/start join_{token}")
    return done
