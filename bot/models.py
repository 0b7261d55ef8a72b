"""Every SQLModel table. The database is the bot's only state; times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (SQLite drops tzinfo; see as_utc)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive datetime read back from SQLite."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _tg_id(**kwargs: object) -> object:
    # Telegram ids exceed 32 bits; PostgreSQL needs BIGINT explicitly.
    return Field(sa_type=BigInteger, **kwargs)  # type: ignore[call-overload]


# --- foundation -----------------------------------------------------------------------------


class User(SQLModel, table=True):
    """A Telegram user who has talked to the bot."""

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    display_name: str = ""
    username: str | None = None
    business_type: str | None = None
    roles: str = ""  # comma-separated roles granted in chat, e.g. "inspector"
    blocked: bool = False
    township: str | None = None
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)

    def role_set(self) -> set[str]:
        """The granted roles as a set."""
        return {r for r in self.roles.split(",") if r}


class AuditLog(SQLModel, table=True):
    """Who did what and when, for every staff action."""

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = _tg_id(index=True)  # type: ignore[assignment]
    action: str = Field(index=True)
    detail: str = Field(default="", sa_type=Text)
    at: datetime = Field(default_factory=utcnow, index=True)


# --- guidance (政策问答) ---------------------------------------------------------------------


class Statute(SQLModel, table=True):
    """One imported version of an official text; re-importing replaces its articles."""

    __table_args__ = (UniqueConstraint("source_key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(index=True)
    title: str
    version: str
    effective: date | None = None
    article_count: int = 0
    imported_at: datetime = Field(default_factory=utcnow)


class StatuteArticle(SQLModel, table=True):
    """One article of an imported statute."""

    __table_args__ = (UniqueConstraint("statute_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    statute_id: int = Field(foreign_key="statute.id", index=True, ondelete="CASCADE")
    number: int
    chapter: str = ""
    text: str = Field(sa_type=Text)


class QuestionLog(SQLModel, table=True):
    """Every question asked, with what the bot did about it."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    text: str = Field(sa_type=Text)
    outcome: str = Field(index=True)  # answered | suggested | none
    entry_id: str | None = Field(default=None, index=True)
    topic: str | None = None
    score: float = 0.0
    business_type: str | None = None
    at: datetime = Field(default_factory=utcnow, index=True)


class Feedback(SQLModel, table=True):
    """有用 / 没解决 on one answer, once per asker (the last press counts)."""

    __table_args__ = (UniqueConstraint("log_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    log_id: int = Field(foreign_key="questionlog.id", index=True)
    user_id: int = _tg_id()  # type: ignore[assignment]
    helpful: bool
    at: datetime = Field(default_factory=utcnow)


class PendingQuestion(SQLModel, table=True):
    """A question left for staff; answered or dismissed by an admin."""

    id: int | None = Field(default=None, primary_key=True)
    log_id: int | None = Field(default=None, foreign_key="questionlog.id", unique=True)
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    chat_id: int = _tg_id()  # type: ignore[assignment]
    text: str = Field(sa_type=Text)
    status: str = Field(default="open", index=True)  # open | answered | dismissed
    created_at: datetime = Field(default_factory=utcnow)
    handled_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    answer: str | None = Field(default=None, sa_type=Text)
    handled_at: datetime | None = None
    notified_at: datetime | None = None  # when staff were told it is waiting (once)


class EntryRequest(SQLModel, table=True):
    """A left question staff marked 需要新增问答: a list for whoever maintains the FAQ."""

    id: int | None = Field(default=None, primary_key=True)
    pending_id: int = Field(foreign_key="pendingquestion.id", unique=True)
    marked_by: int = _tg_id()  # type: ignore[assignment]
    marked_at: datetime = Field(default_factory=utcnow, index=True)
    note: str = ""


# --- 你点我检 campaigns ------------------------------------------------------------------------


def _new_salt() -> str:
    import secrets

    return secrets.token_hex(16)


class Campaign(SQLModel, table=True):
    """A public vote on what to sample; draft -> open -> closed -> published."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    description: str = Field(default="", sa_type=Text)
    status: str = Field(default="draft", index=True)  # draft | open | closed | published
    starts_at: datetime | None = None  # UTC; automatic opening when set
    ends_at: datetime | None = None  # UTC; automatic closing when set
    vote_rule: str = "campaign"  # campaign (one ballot, changeable) | daily (one per day)
    results_visibility: str = "after_close"  # live | after_close | never
    allow_suggestions: bool = False
    township_options: str = ""  # newline-separated 镇/街道 choices; empty: not asked
    created_by: int = _tg_id()  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    published_at: datetime | None = None
    outcome_text: str | None = Field(default=None, sa_type=Text)
    outcome_file_id: str | None = None
    outcome_file_name: str | None = None
    # Per-campaign key for the pseudonymous voter ids in exports (HMAC of the user id).
    salt: str = Field(default_factory=_new_salt)


class Ballot(SQLModel, table=True):
    """One question of a campaign (食品品种, 抽样场所, 检验项目 …)."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    position: int
    title: str
    max_choices: int = 1
    optional: bool = False  # may be submitted with nothing chosen ("都不选/不适用")


class BallotOption(SQLModel, table=True):
    """One choice of a ballot."""

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = Field(foreign_key="ballot.id", index=True, ondelete="CASCADE")
    position: int
    label: str


class Vote(SQLModel, table=True):
    """A voter's submitted ballot; day is '' for the per-campaign rule, else the local date."""

    __table_args__ = (UniqueConstraint("campaign_id", "user_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    day: str = ""
    township: str | None = None
    source: str = "ballot"  # ballot | poll
    submitted_at: datetime = Field(default_factory=utcnow)


class VoteChoice(SQLModel, table=True):
    """One chosen option of a submitted vote."""

    vote_id: int = Field(foreign_key="vote.id", primary_key=True, ondelete="CASCADE")
    option_id: int = Field(foreign_key="ballotoption.id", primary_key=True)
    ballot_id: int = Field(foreign_key="ballot.id", index=True)


class VoteDraft(SQLModel, table=True):
    """The ✅ toggles a voter has set but not yet submitted (survives restarts)."""

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    option_ids: str = ""  # comma-separated
    township: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    # An open "其他建议" prompt: the ballot it is for and the bot message the user replies to.
    suggest_ballot_id: int | None = None
    suggest_prompt_id: int | None = None


class Suggestion(SQLModel, table=True):
    """A citizen's 其他 suggestion (<= 50 characters), kept for staff."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    ballot_id: int | None = Field(default=None, foreign_key="ballot.id")
    user_id: int = _tg_id()  # type: ignore[assignment]
    text: str
    at: datetime = Field(default_factory=utcnow)


class CampaignPoll(SQLModel, table=True):
    """A native Telegram poll posted for a single-ballot campaign; answers join the tally."""

    poll_id: str = Field(primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    ballot_id: int = Field(foreign_key="ballot.id")
    chat_id: int = _tg_id()  # type: ignore[assignment]
    message_id: int
    option_ids: str  # BallotOption ids in poll option order, comma-separated


class CampaignDraft(SQLModel, table=True):
    """An admin's step-by-step /campaign_new conversation, one per admin."""

    admin_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    step: str = "title"
    data: str = Field(default="{}", sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)


# --- subscriptions and broadcasts ------------------------------------------------------------


class Subscription(SQLModel, table=True):
    """A user's subscription to one push topic (tips, campaigns, results)."""

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    topic: str = Field(primary_key=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Broadcast(SQLModel, table=True):
    """One message to many chats; key makes scheduled work idempotent across workers."""

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, unique=True)  # e.g. tip:spring_festival:2027
    kind: str = "admin"  # admin | tip | campaign_announce | campaign_publish
    topic: str | None = None  # subscribers of this topic; None: explicit recipients only
    text: str = Field(sa_type=Text)
    document_file_id: str | None = None
    document_name: str | None = None
    status: str = Field(default="draft", index=True)  # draft|queued|running|done|cancelled
    created_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    progress_chat_id: int | None = _tg_id(default=None)  # type: ignore[assignment]
    progress_message_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    respect_quiet_hours: bool = True  # False: staff chose to send at night (quiet.py)
    lease_until: datetime | None = None  # the worker sending it renews this lease
    send_after: datetime | None = None  # scheduled: the engine starts it no earlier (UTC)


class Delivery(SQLModel, table=True):
    """One broadcast to one chat, with its status; unique so nobody gets it twice."""

    __table_args__ = (UniqueConstraint("broadcast_id", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True, ondelete="CASCADE")
    chat_id: int = _tg_id()  # type: ignore[assignment]
    status: str = Field(default="pending", index=True)  # pending|sending|sent|failed|blocked
    attempts: int = 0
    error: str | None = None
    message_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ScheduledPush(SQLModel, table=True):
    """When an occasion's tip goes out; derived from the calendar, kept across restarts."""

    __table_args__ = (UniqueConstraint("occasion", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    occasion: str
    year: int
    festival_date: date
    push_at: datetime  # UTC
    status: str = Field(default="planned", index=True)  # planned | sent | dropped
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")
    note: str = ""


class CustomOccasion(SQLModel, table=True):
    """An admin-set date: 食品安全宣传周, 开学季 or any other event."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)  # food_safety_week | spring_school | autumn_school | custom
    name: str
    day: date
    tip_text: str | None = Field(default=None, sa_type=Text)


# --- 监督抽考 exams -----------------------------------------------------------------------------


class Exam(SQLModel, table=True):
    """A supervised exam issued by an inspector; its code is single-use."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    inspector_id: int = _tg_id(index=True)  # type: ignore[assignment]
    enterprise: str
    credit_code: str | None = None
    township: str | None = None
    sector: str
    role: str
    candidate_name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    status: str = Field(default="issued", index=True)  # issued | started | submitted | expired
    paper: str = Field(default="{}", sa_type=Text)
    # who opened the link first; the code is theirs from then on (None: nobody yet)
    candidate_id: int | None = _tg_id(default=None, index=True)  # type: ignore[assignment]


class Attempt(SQLModel, table=True):
    """One practice round or one exam sitting; the paper and answers are rows, not memory."""

    id: int | None = Field(default=None, primary_key=True)
    exam_id: int | None = Field(default=None, foreign_key="exam.id", unique=True)
    user_id: int = _tg_id(index=True)  # type: ignore[assignment]
    mode: str = "practice"  # practice | review (错题本) | exam
    sector: str
    role: str
    candidate_name: str | None = None
    position: str | None = None
    current: int = 0
    started_at: datetime = Field(default_factory=utcnow)
    deadline: datetime | None = None
    submitted_at: datetime | None = None
    score: float | None = None
    max_score: float = 100.0
    passed: bool | None = None
    status: str = Field(default="active", index=True)  # active | submitted | abandoned
    message_id: int | None = None  # the exam message edited in place (private chat = user_id)
    # A supervised sitting: how often the candidate tried another feature meanwhile, and what.
    refused_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    refused_log: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})


class AttemptItem(SQLModel, table=True):
    """One question of an attempt: its order, shuffled options, points and the answer given."""

    attempt_id: int = Field(foreign_key="attempt.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(primary_key=True)
    question_id: str
    option_order: str  # original option indexes in display order, comma-separated
    points: float = 1.0
    chosen: str | None = None  # original option indexes, comma-separated (None: unanswered)
    pending: str = ""  # 多选 toggles not yet confirmed (practice) / kept as chosen (exam)
    correct: bool | None = None
    earned: float = 0.0
    answered_at: datetime | None = None


class Mistake(SQLModel, table=True):
    """A question the user got wrong and has not yet answered right (错题本)."""

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    question_id: str = Field(primary_key=True)
    wrong_count: int = 1
    last_wrong_at: datetime = Field(default_factory=utcnow)
    cleared: bool = False


class ExamDraft(SQLModel, table=True):
    """An inspector's step-by-step /exam_new, one per inspector; typed steps time out."""

    inspector_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    step: str = "enterprise"
    data: str = Field(default="{}", sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)


class ExamSetting(SQLModel, table=True):
    """Exam settings changed in chat by an admin (the default paper as JSON)."""

    key: str = Field(primary_key=True)
    value: str = Field(sa_type=Text)
    updated_by: int | None = _tg_id(default=None)  # type: ignore[assignment]
    updated_at: datetime = Field(default_factory=utcnow)


class ImportedQuestion(SQLModel, table=True):
    """A question imported from an official spreadsheet; joins the YAML bank at start."""

    id: str = Field(primary_key=True)
    data: str = Field(sa_type=Text)
    source_file: str
    imported_at: datetime = Field(default_factory=utcnow)


# --- process --------------------------------------------------------------------------------


class ProcessLease(SQLModel, table=True):
    """Work only one process may do at a time (long polling), held while renewed."""

    name: str = Field(primary_key=True)  # "polling"
    holder: str  # host:pid:random of the process holding it
    acquired_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class InboxUpdate(SQLModel, table=True):
    """One Telegram update, stored before it is acknowledged and processed from here once.

    lane is the chat (or, for chat-less updates, the user): rows of one lane are processed in
    update_id order. last_error holds an exception class name, never a message text.
    """

    __tablename__ = "inbox"

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = _tg_id(unique=True)  # type: ignore[assignment]
    payload: str = Field(sa_type=Text)
    chat_id: int | None = _tg_id(default=None)  # type: ignore[assignment]
    user_id: int | None = _tg_id(default=None)  # type: ignore[assignment]
    lane: int | None = _tg_id(default=None, index=True)  # type: ignore[assignment]
    state: str = Field(default="pending", index=True)  # pending, claimed, done, failed
    holder: str | None = None
    claim_expires_at: datetime | None = None
    attempts: int = 0
    next_try_at: datetime = Field(default_factory=utcnow)
    received_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = Field(default=None, index=True)
    last_error: str | None = None
    notified_at: datetime | None = None  # when the user was told the answer will be late
    # The first message sent for it: about to go (sending_at) and confirmed (replied_at). A
    # confirmed reply is never sent again; one in flight when its worker died is uncertain.
    sending_at: datetime | None = None
    replied_at: datetime | None = None
