"""The emulator's records (users, chats, messages, polls, callback queries) and their JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass(slots=True)
class UserRecord:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    is_bot: bool = False
    blocked: bool = False  # the user blocked the bot
    started: bool = True  # the user has talked to the bot, so the bot may write first

    def to_json(self) -> JsonDict:
        """The User object."""
        data: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass(slots=True)
class MessageVersion:
    """The content a message had before an edit."""

    text: str | None
    html: str | None
    entities: list[JsonDict]
    caption: str | None
    reply_markup: JsonDict | None
    edit_date: int | None


@dataclass(slots=True, eq=False)
class StoredMessage:
    """One message in a chat, in its current state, with its edit history."""

    chat_id: int
    message_id: int
    sender_id: int
    date: int
    from_bot: bool
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    html: str | None = None  # the text or caption exactly as the bot sent it
    caption: str | None = None
    reply_markup: JsonDict | None = None  # as sent; only inline keyboards appear in JSON
    media: JsonDict = field(default_factory=dict)  # e.g. {"photo": [...]} or {"document": {...}}
    poll_id: str | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    extra: JsonDict = field(default_factory=dict)  # service fields such as new_chat_members

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """The inline keyboard rows (empty when there is none)."""
        if self.reply_markup is None:
            return []
        rows = self.reply_markup.get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    @property
    def buttons(self) -> list[list[str]]:
        """Inline button labels, row by row."""
        return [[str(button.get("text")) for button in row] for row in self.inline_keyboard]

    @property
    def callback_data(self) -> list[str]:
        """Every inline button's callback_data, in reading order."""
        return [
            str(button["callback_data"])
            for row in self.inline_keyboard
            for button in row
            if "callback_data" in button
        ]

    def find_button(self, button: str | tuple[int, int]) -> JsonDict:
        """The inline button with this label or at (row, column); LookupError otherwise."""
        rows = self.inline_keyboard
        if isinstance(button, tuple):
            row, col = button
            try:
                return rows[row][col]
            except IndexError:
                raise LookupError(f"no button at {button}; buttons: {self.buttons}") from None
        for line in rows:
            for candidate in line:
                if candidate.get("text") == button:
                    return candidate
        raise LookupError(f"no button {button!r}; buttons: {self.buttons}")

    def snapshot(self) -> MessageVersion:
        """The current content, to keep in history before an edit."""
        return MessageVersion(
            self.text, self.html, self.entities, self.caption, self.reply_markup, self.edit_date
        )


@dataclass(slots=True, eq=False)
class ChatRecord:
    """A private chat (id = user id) or a group (negative id)."""

    id: int
    type: str  # private, group, supergroup
    title: str | None = None
    username: str | None = None
    user: UserRecord | None = None  # the other side of a private chat
    member_ids: set[int] = field(default_factory=set)
    bot_is_member: bool = True
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: JsonDict | None = None  # the custom keyboard currently shown, if any
    menu_button: JsonDict | None = None

    @property
    def is_group(self) -> bool:
        """True for groups and supergroups."""
        return self.type != "private"

    def to_json(self) -> JsonDict:
        """The Chat object."""
        if self.user is not None:
            data: JsonDict = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.username:
            data["username"] = self.username
        return data

    def new_message_id(self) -> int:
        """Allocate the next message id in this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(slots=True)
class PollOptionRecord:
    """One answer option of a poll."""

    text: str
    persistent_id: str
    entities: list[JsonDict] = field(default_factory=list)
    voter_count: int = 0

    def to_json(self) -> JsonDict:
        """The PollOption object."""
        data: JsonDict = {
            "persistent_id": self.persistent_id,
            "text": self.text,
            "voter_count": self.voter_count,
        }
        if self.entities:
            data["text_entities"] = self.entities
        return data


@dataclass(slots=True, eq=False)
class PollRecord:
    """A native poll sent by the bot, with every user's vote."""

    id: str
    chat_id: int
    message_id: int
    question: str
    options: list[PollOptionRecord]
    type: str = "regular"
    is_anonymous: bool = True
    allows_multiple_answers: bool = False
    allows_revoting: bool = True
    correct_option_ids: list[int] | None = None
    question_entities: list[JsonDict] = field(default_factory=list)
    explanation: str | None = None
    explanation_entities: list[JsonDict] = field(default_factory=list)
    open_period: int | None = None
    close_date: int | None = None
    is_closed: bool = False
    votes: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def total_voter_count(self) -> int:
        """Users with a current (non-retracted) vote."""
        return len(self.votes)

    def to_json(self) -> JsonDict:
        """The Poll object."""
        data: JsonDict = {
            "id": self.id,
            "question": self.question,
            "options": [option.to_json() for option in self.options],
            "total_voter_count": self.total_voter_count,
            "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous,
            "type": self.type,
            "allows_multiple_answers": self.allows_multiple_answers,
            "allows_revoting": self.allows_revoting,
            "members_only": False,
        }
        if self.question_entities:
            data["question_entities"] = self.question_entities
        if self.correct_option_ids is not None:
            data["correct_option_ids"] = self.correct_option_ids
        if self.explanation:
            data["explanation"] = self.explanation
            if self.explanation_entities:
                data["explanation_entities"] = self.explanation_entities
        if self.open_period is not None:
            data["open_period"] = self.open_period
        if self.close_date is not None:
            data["close_date"] = self.close_date
        return data


@dataclass(slots=True, eq=False)
class CallbackQueryRecord:
    """A button press and, once the bot answers it, the answer."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None


@dataclass(frozen=True, slots=True)
class ChatAction:
    """A sendChatAction call."""

    chat_id: int
    action: str
    at: float


@dataclass(slots=True)
class WebhookState:
    """What setWebhook configured, and how delivery went."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None
