"""监管工作台 server time per page on a loaded SQLite database.

    python bench/console.py [--users 10000] [--campaigns 100] [--exams 5000] [--rounds 200]

Seeds a SQLite file with the users, campaigns (3 ballots, votes from a share of the users),
submitted exam records, a month of questions, open left questions (a third marked 需要新增问答),
a broadcast to every user and audit rows; then requests every console page as a signed-in admin
through the ASGI app in-process and prints p50/p99 of the server time (measured around the ASGI
call, so the client's own work is not counted). The first request of each page is a warm-up,
shown as `first` (the knowledge index loads once per process; /qa/unanswered groups the month
then and keeps the result until the month's questions change). Target: p99 <= 200 ms.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.console.app import create_app  # noqa: E402
from bot.console.auth import create_link  # noqa: E402
from bot.console.web import ConsoleState  # noqa: E402
from bot.db import create_tables, make_engine, session_scope  # noqa: E402
from bot.models import (  # noqa: E402
    Attempt,
    AuditLog,
    Ballot,
    BallotOption,
    Broadcast,
    Campaign,
    Delivery,
    EntryRequest,
    Exam,
    PendingQuestion,
    QuestionLog,
    User,
    Vote,
    VoteChoice,
    utcnow,
)
from bot.users import Roles  # noqa: E402

ADMIN = 900001
INSPECTORS = [900002, 900003, 900004]
SECTORS = ("catering", "retail", "production", "canteen", "special")
TOWNS = ("城关街道", "东城街道", "西城街道", "南湖镇", "北山镇", "河口镇")
# Unanswered questions as people type them: a subject, a question, sometimes a tail, so the
# month holds thousands of distinct phrasings that group by similarity.
SUBJECTS = (
    "健康证",
    "小作坊",
    "网店卖自制辣椒酱",
    "冷库温度",
    "进货查验记录",
    "食品添加剂",
    "学校食堂",
    "外卖平台",
    "过期食品",
    "散装白酒",
    "农村宴席",
    "预包装食品标签",
)
ASKS = (
    "要办什么证",
    "多久办一次",
    "怎么处罚",
    "需要备案吗",
    "去哪里办",
    "要保存多久",
    "有什么要求",
    "谁来检查",
    "罚多少钱",
    "能不能卖",
)
TAILS = ("", "", "？", "呢", "啊", "，急", "，谢谢", "？在线等")


def _question(i: int, rng: random.Random) -> str:
    text = rng.choice(SUBJECTS) + rng.choice(ASKS) + rng.choice(TAILS)
    return text if i % 3 else f"{text}{i % 997}"  # a third carry a number: more phrasings


def _seed(
    engine: Any, users: int, campaigns: int, exams: int, rng: random.Random
) -> tuple[int, int, int]:
    """Bulk rows; returns the ids of a published campaign, a draft and a broadcast."""
    now = utcnow()
    with session_scope(engine) as session:
        session.exec(
            insert(User),
            params=[  # type: ignore[call-overload]
                {
                    "id": 10_000_000 + i,
                    "display_name": f"用户{i}",
                    "roles": "",
                    "first_seen": now,
                    "last_seen": now,
                    "blocked": False,
                }
                for i in range(users)
            ]
            + [
                {
                    "id": uid,
                    "display_name": f"监管{uid}",
                    "roles": "",
                    "first_seen": now,
                    "last_seen": now,
                    "blocked": False,
                }
                for uid in (ADMIN, *INSPECTORS)
            ],
        )
        published = draft = 0
        for c in range(campaigns):
            status = ("draft", "open", "closed", "published")[c % 4]
            campaign = Campaign(
                title=f"第{c + 1}期你点我检",
                status=status,
                created_by=ADMIN,
                opened_at=now - timedelta(days=20),
                outcome_text="全部合格。",
                closed_at=now - timedelta(days=1) if status in ("closed", "published") else None,
                published_at=now if status == "published" else None,
            )
            session.add(campaign)
            session.flush()
            assert campaign.id is not None
            published = campaign.id if status == "published" else published
            draft = campaign.id if status == "draft" else draft
            options: list[tuple[int, int]] = []
            for b in range(3):
                ballot = Ballot(
                    campaign_id=campaign.id, position=b, title=f"第{b + 1}题", max_choices=2
                )
                session.add(ballot)
                session.flush()
                assert ballot.id is not None
                for o in range(6):
                    option = BallotOption(ballot_id=ballot.id, position=o, label=f"选项{o + 1}")
                    session.add(option)
                    session.flush()
                    assert option.id is not None
                    options.append((ballot.id, option.id))
            voters = rng.sample(range(users), k=min(users, 300)) if status != "draft" else []
            votes = [
                {
                    "campaign_id": campaign.id,
                    "user_id": 10_000_000 + v,
                    "day": "",
                    "source": "ballot",
                    "submitted_at": now,
                }
                for v in voters
            ]
            if votes:
                session.exec(insert(Vote), params=votes)  # type: ignore[call-overload]
                session.flush()
                rows = session.exec(  # type: ignore[call-overload]
                    Vote.__table__.select().where(Vote.__table__.c.campaign_id == campaign.id)
                ).all()
                choices = [
                    {"vote_id": row.id, "option_id": option_id, "ballot_id": ballot_id}
                    for row in rows
                    for ballot_id, option_id in rng.sample(options, k=3)
                ]
                session.exec(insert(VoteChoice).prefix_with("OR IGNORE"), params=choices)  # type: ignore[call-overload]
        for e in range(exams):
            at = now - timedelta(hours=rng.randint(1, 24 * 120))
            exam = Exam(
                code=f"C{e:07d}",
                inspector_id=rng.choice(INSPECTORS),
                enterprise=f"企业{e % 700}",
                township=rng.choice(TOWNS),
                sector=rng.choice(SECTORS),
                role="officer",
                created_at=at,
                expires_at=at + timedelta(days=1),
                status="submitted",
            )
            session.add(exam)
            session.flush()
            score = float(rng.randint(40, 100))
            session.add(
                Attempt(
                    exam_id=exam.id,
                    user_id=10_000_000 + e % users,
                    mode="exam",
                    sector=exam.sector,
                    role="officer",
                    started_at=at,
                    submitted_at=at + timedelta(minutes=25),
                    score=score,
                    passed=score >= 80,
                    status="submitted",
                )
            )
        week = [
            {
                "user_id": 10_000_000 + rng.randrange(users),
                "text": _question(i, rng),
                "outcome": rng.choice(("answered", "suggested", "none")),
                "score": 0.5,
                "at": now - timedelta(hours=rng.randint(0, 24 * 30)),
            }
            for i in range(20_000)
        ]
        session.exec(insert(QuestionLog), params=week)  # type: ignore[call-overload]
        session.exec(
            insert(PendingQuestion),
            params=[  # type: ignore[call-overload]
                {
                    "user_id": 10_000_000 + i,
                    "chat_id": 10_000_000 + i,
                    "text": f"留言{i}",
                    "status": "open" if i < 300 else "answered",
                    "created_at": now,
                }
                for i in range(1000)
            ],
        )
        session.exec(
            insert(EntryRequest),
            params=[  # type: ignore[call-overload]
                {"pending_id": i + 1, "marked_by": ADMIN, "marked_at": now, "note": ""}
                for i in range(0, 1000, 3)
            ],
        )
        broadcast = Broadcast(kind="admin", topic="all", text="通知" * 100, status="running")
        session.add(broadcast)
        session.flush()
        statuses = ("sent",) * 6 + ("pending", "failed", "blocked", "uncertain")
        session.exec(
            insert(Delivery),
            params=[  # type: ignore[call-overload]
                {
                    "broadcast_id": broadcast.id,
                    "chat_id": 10_000_000 + i,
                    "status": (status := statuses[i % len(statuses)]),
                    "attempts": 1,
                    "error": {"failed": "Bad Request: chat not found", "blocked": "Forbidden"}.get(
                        status
                    ),
                    "updated_at": now,
                }
                for i in range(users)
            ],
        )
        session.exec(
            insert(AuditLog),
            params=[  # type: ignore[call-overload]
                {
                    "actor_id": ADMIN,
                    "action": rng.choice(
                        ("pending:reply", "campaign:open", "exam:issue", "grant:inspector")
                    ),
                    "detail": str(i),
                    "at": now,
                }
                for i in range(5000)
            ],
        )
        session.commit()
        assert broadcast.id is not None
    return published, draft, broadcast.id


class Timer:
    """ASGI middleware: the server time of every request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.times.append(time.perf_counter() - start)


def main() -> None:
    """Seed, sign in, request every page --rounds times, print p50/p99."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--exams", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        settings = Settings(_env_file=None, database_url=url, admin_user_ids=[ADMIN])  # type: ignore[call-arg]
        engine = make_engine(url)
        create_tables(engine)
        started = time.perf_counter()
        published, draft, broadcast = _seed(
            engine, args.users, args.campaigns, args.exams, random.Random(7)
        )
        print(
            f"seeded {args.users} users, {args.campaigns} campaigns, {args.exams} exam records,"
            f" 20000 questions, 1000 left questions (334 marked 需要新增问答),"
            f" a broadcast to every user, 5000 audit rows"
            f" in {time.perf_counter() - started:.1f} s"
        )
        gc.collect()  # the seeding's garbage is not the console's: collect it before timing
        roles = Roles(frozenset([ADMIN]), frozenset())
        timer = Timer(create_app(settings, state=ConsoleState(settings, engine, roles)))
        with session_scope(engine) as session:
            token = create_link(session, user_id=ADMIN, now=datetime.now(UTC))
        client = TestClient(timer)
        client.post(f"/login/{token}")
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
        assert found, "sign-in failed"
        month = datetime.now(UTC).strftime("%Y-%m")
        national_day = f"{datetime.now(UTC).year + 1}-10-01"
        last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        pages = {
            "概览 /": "/",
            "待回复 /pending": "/pending",
            "你点我检 /campaigns": "/campaigns",
            "活动 /campaigns/<id>": f"/campaigns/{published}",
            "公开页 /public/campaigns/<id>": f"/public/campaigns/{published}",
            "问答检查 /qa?q=": "/qa?q=健康证多久办一次",
            "监督抽考 /exams": "/exams",
            "监督抽考 /exams?month=": f"/exams?month={month}&sector=catering",
            "节日提示 /tips": "/tips",
            "审计日志 /audit": "/audit",
            "审计日志 /audit?action=": "/audit?action=exam",
            "新建活动 /campaigns/new": "/campaigns/new",
            "修改草稿 /campaigns/<id>/edit": f"/campaigns/{draft}/edit",
            "未能回答 /qa/unanswered": "/qa/unanswered",
            "未能回答 ?scope=all": "/qa/unanswered?scope=all",
            "未能回答 上月 scope=all": f"/qa/unanswered?scope=all&month={last_month}",
            "需要新增问答 /needs-entry": "/needs-entry",
            "试卷设置 /exams/paper": "/exams/paper",
            "发送提示预览 /tips/send/…": f"/tips/send/national_day/{national_day}",
            "新建群发 /broadcasts/new": "/broadcasts/new",
            "群发进度 /broadcasts/<id>": f"/broadcasts/{broadcast}",
            "群发进度 JSON …/progress": f"/broadcasts/{broadcast}/progress",
        }
        print(f"{'page':34} {'first ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        worst = 0.0
        for name, path in pages.items():
            timer.times.clear()
            assert client.get(path).status_code == 200, path  # warm-up (caches, first load)
            first = timer.times[0] * 1000
            timer.times.clear()
            for _ in range(args.rounds):
                client.get(path)
            ms = sorted(t * 1000 for t in timer.times)
            p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
            worst = max(worst, p99)
            print(f"{name:34} {first:8.1f} {statistics.median(ms):8.1f} {p99:8.1f} {ms[-1]:8.1f}")
        print(f"worst p99: {worst:.1f} ms (target <= 200 ms)")
        engine.dispose()


if __name__ == "__main__":
    main()
