"""The inbox table: stored once, claimed in lane order, taken over, retried, purged."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from bot.db import create_tables, make_engine
from bot.inbox import store
from bot.models import InboxUpdate

T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
TTL = timedelta(seconds=30)


def message(update_id: int, chat: int, text: str = "hi") -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "u"},
            "text": text,
        },
    }


@pytest.fixture(params=["sqlite", "postgres"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":  # a file: workers in threads each get a connection
        engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        create_tables(engine)
        yield engine
        engine.dispose()
        return
    pg = make_engine(request.getfixturevalue("pg_url"))
    InboxUpdate.__table__.drop(pg, checkfirst=True)  # type: ignore[attr-defined]
    create_tables(pg)  # as the model is now
    with pg.begin() as connection:
        connection.execute(delete(InboxUpdate))
    yield pg
    with pg.begin() as connection:
        connection.execute(delete(InboxUpdate))
    pg.dispose()


def ids(claimed: list[store.Claimed]) -> list[int]:
    return [c.update_id for c in claimed]


def test_an_update_is_stored_once(inbox: Engine) -> None:
    assert store.add(inbox, [message(1, 10), message(2, 10)], now=T0) == 2
    assert store.add(inbox, [message(2, 10), message(3, 11)], now=T0) == 1
    assert store.counts(inbox) == {"pending": 3}


def test_one_lane_is_claimed_in_order_other_lanes_meanwhile(inbox: Engine) -> None:
    store.add(inbox, [message(1, 10), message(2, 10), message(3, 11)], now=T0)
    first = store.claim(inbox, "a", now=T0, ttl=TTL, limit=10)
    assert ids(first) == [1, 3]
    assert first[0].payload == message(1, 10) and first[0].attempts == 1
    assert store.claim(inbox, "b", now=T0, ttl=TTL, limit=10) == []
    assert store.finish(inbox, first[0].id, "a", now=T0)
    assert ids(store.claim(inbox, "b", now=T0, ttl=TTL, limit=10)) == [2]


def test_a_retried_row_holds_its_lane_until_it_is_due(inbox: Engine) -> None:
    store.add(inbox, [message(1, 10), message(2, 10)], now=T0)
    [row] = store.claim(inbox, "a", now=T0, ttl=TTL, limit=10)
    delay = timedelta(seconds=4)
    assert store.retry(inbox, row.id, "a", now=T0, delay=delay, error="OperationalError")
    assert not store.ready(inbox, now=T0 + timedelta(seconds=3))
    [again] = store.claim(inbox, "b", now=T0 + delay, ttl=TTL, limit=10)
    assert (again.update_id, again.attempts) == (1, 2)
    assert store.fail(inbox, again.id, "b", now=T0 + delay, error="OperationalError")
    assert ids(store.claim(inbox, "b", now=T0 + delay, ttl=TTL, limit=10)) == [2]


def test_a_claim_not_kept_alive_is_taken_over(inbox: Engine) -> None:
    store.add(inbox, [message(1, 10)], now=T0)
    [row] = store.claim(inbox, "a", now=T0, ttl=TTL, limit=1)
    assert store.heartbeat(inbox, "a", now=T0 + timedelta(seconds=20), ttl=TTL) == 1
    assert store.claim(inbox, "b", now=T0 + timedelta(seconds=49), ttl=TTL, limit=1) == []
    [taken] = store.claim(inbox, "b", now=T0 + timedelta(seconds=51), ttl=TTL, limit=1)
    assert (taken.update_id, taken.attempts) == (1, 2)
    assert not store.finish(inbox, row.id, "a", now=T0 + timedelta(seconds=52))  # not ours now
    assert store.finish(inbox, taken.id, "b", now=T0 + timedelta(seconds=52))
    assert store.counts(inbox) == {"done": 1}


def test_claims_of_a_dead_worker_are_released_at_once(inbox: Engine) -> None:
    store.add(inbox, [message(1, 10), message(2, 11)], now=T0)
    store.claim(inbox, "dead", now=T0, ttl=TTL, limit=1)
    store.claim(inbox, "alive", now=T0, ttl=TTL, limit=1)
    assert store.release_dead(inbox, lambda holder: holder == "dead") == 1
    assert ids(store.claim(inbox, "alive", now=T0, ttl=TTL, limit=5)) == [1]


def test_settled_rows_are_purged_after_their_time(inbox: Engine) -> None:
    store.add(inbox, [message(1, 10), message(2, 11), message(3, 12)], now=T0)
    old, failed, recent = store.claim(inbox, "a", now=T0, ttl=TTL, limit=5)
    store.finish(inbox, old.id, "a", now=T0)
    store.fail(inbox, failed.id, "a", now=T0, error="BadRequest")
    store.finish(inbox, recent.id, "a", now=T0 + timedelta(hours=23))
    removed = store.purge(
        inbox, now=T0 + timedelta(days=1, hours=1), done_for=timedelta(days=1),
        failed_for=timedelta(days=7),
    )  # fmt: skip
    assert removed == 1
    assert store.counts(inbox) == {"done": 1, "failed": 1}


def test_lane_of_reads_chat_then_user() -> None:
    press = {"update_id": 5, "callback_query": {"id": "q", "from": {"id": 7},
             "message": {"chat": {"id": -100}}}}  # fmt: skip
    answer = {"update_id": 6, "poll_answer": {"poll_id": "p", "user": {"id": 8}}}
    assert store.lane_of(message(1, 10)) == (10, 10)
    assert store.lane_of(press) == (-100, 7)
    assert store.lane_of(answer) == (None, 8)


def test_two_workers_share_the_inbox_each_row_once_each_lane_in_order(inbox: Engine) -> None:
    lanes, per_lane = 25, 6
    updates = [message(n * lanes + lane + 1, 1000 + lane) for n in range(per_lane)
               for lane in range(lanes)]  # fmt: skip
    store.add(inbox, updates, now=T0)
    seen: dict[int, list[int]] = defaultdict(list)
    held: set[int] = set()
    clashes: list[int] = []
    lock = threading.Lock()

    errors: list[BaseException] = []

    def work(holder: str) -> None:
        try:
            drain(holder)
        except BaseException as exc:
            errors.append(exc)

    def drain(holder: str) -> None:
        while True:
            rows = store.claim(inbox, holder, now=T0, ttl=TTL, limit=4)
            if not rows and not store.ready(inbox, now=T0):
                if store.counts(inbox).get("claimed", 0) == 0:
                    return
                continue
            lanes_held = [row.payload["message"]["chat"]["id"] for row in rows]  # type: ignore[index]
            with lock:  # a lane is held from its claim until just before it is settled
                clashes.extend(lane for lane in lanes_held if lane in held)
                held.update(lanes_held)
            for row, lane in zip(rows, lanes_held, strict=True):
                with lock:
                    seen[lane].append(row.update_id)
                    held.discard(lane)
                assert store.finish(inbox, row.id, holder, now=T0)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert clashes == []
    assert sum(len(v) for v in seen.values()) == lanes * per_lane
    assert all(v == sorted(v) and len(v) == per_lane for v in seen.values())
    assert store.counts(inbox) == {"done": lanes * per_lane}
