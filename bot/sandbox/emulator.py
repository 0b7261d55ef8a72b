"""BotApiEmulator: an in-memory Telegram that a PTB bot talks to, and tests act on as users."""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox import errors
from bot.sandbox.clock import Clock
from bot.sandbox.errors import ApiError, ResponseLost, SpecViolation
from bot.sandbox.faults import LOST_RESPONSE, FaultInjector, FaultRule
from bot.sandbox.files import StoredFile, UploadedFile
from bot.sandbox.limits import Limits, RateLimiter
from bot.sandbox.methods import ASYNC_METHODS, SYNC_METHODS
from bot.sandbox.methods.bot_info import scope_key
from bot.sandbox.params import Params, opt_dict, opt_int
from bot.sandbox.spec import ApiSpec, load_spec
from bot.sandbox.state import (
    CallbackQueryRecord,
    ChatAction,
    ChatRecord,
    JsonDict,
    PollRecord,
    StoredMessage,
    UserRecord,
    WebhookState,
)
from bot.sandbox.stats import EmulatorStats
from bot.sandbox.updates import Update, UpdateQueue
from bot.sandbox.users import UserHandle
from bot.sandbox.webhook import WebhookDeliverer

_LOGGER = logging.getLogger(__name__)
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{1,64}")
_LOWER_METHODS = {name.lower(): name for name in (*SYNC_METHODS, *ASYNC_METHODS)}

CommandKey = tuple[str, str]  # (scope as "type[:chat_id[:user_id]]", language_code)


class BotApiEmulator:
    """All of Telegram a bot needs, in memory: chats, messages, buttons, polls, files, limits."""

    def __init__(
        self,
        token: str | None = "123456:TEST",
        *,
        limits: Limits | None = None,
        clock: Clock = time.monotonic,
        spec: ApiSpec | None = None,
        validate: bool = True,
        callback_query_timeout: float = 15.0,
        queue_updates: bool = True,
        bot_username: str = "shian_test_bot",
        bot_first_name: str = "食安助手",
        privacy_mode: bool = False,
    ) -> None:
        # None accepts any well-formed token (for `sandbox serve` without --token).
        self.token = token
        self.clock = clock
        self.limits = limits or Limits()
        self.limiter = RateLimiter(self.limits, clock)
        self.spec: ApiSpec | None = (
            spec if spec is not None else (load_spec() if validate else None)
        )
        self.callback_query_timeout = callback_query_timeout
        self.queue_updates = queue_updates
        self.privacy_mode = privacy_mode
        prefix = (token or "").split(":", 1)[0]
        bot_id = int(prefix) if prefix.isdigit() else 123456
        self.bot = UserRecord(
            bot_id, bot_first_name, username=bot_username, language_code=None, is_bot=True
        )
        self._bot_json = self.bot.to_json()
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self.polls: dict[str, PollRecord] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: list[CallbackQueryRecord] = []
        self.chat_actions: list[ChatAction] = []
        self.commands: dict[CommandKey, list[JsonDict]] = {}
        self.default_menu_button: JsonDict = {"type": "commands"}
        self.webhook = WebhookState()
        self.updates = UpdateQueue()
        self.faults = FaultInjector()
        self.stats = EmulatorStats()
        self.violations: list[str] = []
        self.internal_errors: list[str] = []
        self.logged_out = False
        self._ids = itertools.count(1)
        self._epoch0 = time.time()
        self._clock0 = clock()
        self._deliverer: WebhookDeliverer | None = None

    # ------------------------------------------------------------------ the Bot API entry point

    async def call(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        *,
        files: Mapping[str, UploadedFile] | None = None,
        token: str | None = None,
    ) -> tuple[int, JsonDict]:
        """Run one Bot API call; returns (HTTP status, JSON body). Raises SpecViolation."""
        self.stats.requests[method] += 1
        if token is not None and not self.accepts_token(token):
            return self._fail(ApiError(401, errors.UNAUTHORIZED))
        args = _attach_files(params or {}, files)
        canonical = _LOWER_METHODS.get(method.lower())
        if self.spec is not None:
            violations = self.spec.validate(canonical or method, args)
            if violations and canonical is None and self.spec.canonical_method(method) is None:
                # Telegram answers an unknown method with 404; the bug is still recorded.
                self._record_violations(violations)
                return self._fail(ApiError(404, errors.NOT_FOUND))
            if violations:
                self._record_violations(violations)
                raise SpecViolation(method, violations)
        if canonical is None:
            if self.spec is not None and self.spec.canonical_method(method) is not None:
                gap = [f"{method}: valid Bot API method not implemented by the sandbox"]
                self._record_violations(gap)
                raise SpecViolation(method, gap)
            return self._fail(ApiError(404, errors.NOT_FOUND))
        injected = self.faults.take(canonical, args) if self.faults.rules else None
        if injected is not None:
            self.stats.injected_failures += 1
            if injected.status != LOST_RESPONSE:
                return self._fail(injected)
        try:
            sync = SYNC_METHODS.get(canonical)
            result = sync(self, args) if sync else await ASYNC_METHODS[canonical](self, args)
        except ApiError as error:
            return self._fail(error)
        except Exception as error:
            # An emulator bug must not look like a Telegram answer: record it and re-raise.
            self.internal_errors.append(f"{canonical}: {error!r}")
            _LOGGER.exception("sandbox emulator failed in %s", canonical)
            raise
        if injected is not None:  # done, but the bot never hears so
            raise ResponseLost(canonical, 200, {"ok": True, "result": result})
        return 200, {"ok": True, "result": result}

    def accepts_token(self, token: str) -> bool:
        """Whether a request with this token is authorized."""
        if self.token is None:
            return _TOKEN.fullmatch(token) is not None
        return token == self.token

    def _fail(self, error: ApiError) -> tuple[int, JsonDict]:
        self.stats.errors[error.status] += 1
        if error.status == 429:
            self.stats.rate_limited += 1
        return error.status, error.envelope()

    def _record_violations(self, violations: list[str]) -> None:
        self.stats.spec_violations += len(violations)
        self.violations.extend(violations)
        for violation in violations:
            _LOGGER.error("Bot API spec violation: %s", violation)

    def take_violations(self) -> list[str]:
        """Return and forget the recorded violations (for tests that provoke them on purpose)."""
        taken, self.violations = self.violations, []
        return taken

    def assert_clean(self) -> None:
        """Fail (AssertionError) if any call broke the spec or crashed the emulator."""
        problems = [*self.violations, *self.internal_errors]
        assert not problems, "sandbox problems:\n" + "\n".join(problems)

    def inject_failure(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> FaultRule:
        """Make the next `times` calls of method ("*" = any) fail with this status."""
        return self.faults.add(method, status, description, retry_after, times, chat_id)

    def inject_timeout(
        self, method: str, times: int = 1, chat_id: int | str | None = None
    ) -> FaultRule:
        """The next `times` calls of method are carried out, then their answer is lost:
        in process the bot gets TimedOut, over HTTP the answer comes after its read timeout."""
        return self.faults.add(method, LOST_RESPONSE, "response lost", None, times, chat_id)

    # ------------------------------------------------------------------ users and chats

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        started: bool = True,
    ) -> UserHandle:
        """A handle acting as this user; created (with a private chat) on first use."""
        record = self.users.get(user_id)
        if record is None:
            record = UserRecord(
                user_id,
                first_name or f"用户{user_id}",
                last_name=last_name,
                username=username,
                language_code=language_code,
                started=started,
            )
            self.users[user_id] = record
            self.chats[user_id] = ChatRecord(user_id, "private", user=record)
        elif first_name is not None:
            record.first_name = first_name
        return UserHandle(self, record)

    def create_group(
        self,
        title: str,
        member_ids: Iterable[int] = (),
        *,
        supergroup: bool = False,
        username: str | None = None,
    ) -> int:
        """Create a group with the bot and these users in it; returns its (negative) id."""
        serial = next(self._ids)
        chat_id = -(1_000_000_000_000 + serial) if supergroup else -(4_000_000_000 + serial)
        members = set(member_ids)
        for member in members:
            self.user(member)
        self.chats[chat_id] = ChatRecord(
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            username=username,
            member_ids=members,
        )
        return chat_id

    def remove_bot(self, chat_id: int) -> None:
        """Kick the bot from a group: later sends get 403."""
        self.chats[chat_id].bot_is_member = False

    def resolve_chat(self, params: Params, name: str = "chat_id") -> ChatRecord:
        """The chat a call targets, or 400 chat not found."""
        raw = params.get(name)
        if raw is None:
            raise ApiError(400, f"Bad Request: {name} is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for candidate in self.chats.values():
                username = candidate.username
                if username and username.lower() == raw[1:].lower() and candidate.is_group:
                    return candidate
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        chat_id = opt_int(params, name)
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        return chat

    def check_can_write(self, chat: ChatRecord) -> None:
        """403 when the user blocked the bot, never started it, or the bot left the group."""
        user = chat.user
        if user is not None:
            if user.blocked:
                raise ApiError(403, errors.BOT_BLOCKED)
            if not user.started:
                raise ApiError(403, errors.CANT_INITIATE)
        elif not chat.bot_is_member:
            raise ApiError(403, errors.BOT_KICKED)

    def acquire_send(self, chat: ChatRecord, *, edit: bool = False) -> None:
        """Count a send (or a group edit) against the flood limits, or raise 429."""
        if edit:
            if chat.is_group:
                self.limiter.acquire(chat.id, is_group=True, counts_global=False)
            return
        self.limiter.acquire(chat.id, is_group=chat.is_group)

    # ------------------------------------------------------------------ messages

    def now_unix(self) -> int:
        """Unix time as the emulator's clock sees it (tests moving the clock move dates too)."""
        return int(self._epoch0 + self.clock() - self._clock0)

    def add_message(self, chat: ChatRecord, sender: UserRecord, **fields: Any) -> StoredMessage:
        """Store a new message in chat from sender."""
        message = StoredMessage(
            chat_id=chat.id,
            message_id=chat.new_message_id(),
            sender_id=sender.id,
            date=self.now_unix(),
            from_bot=sender.is_bot,
            **fields,
        )
        chat.messages[message.message_id] = message
        return message

    def find_message(self, chat: ChatRecord, message_id: int | None) -> StoredMessage | None:
        """A live (not deleted) message, or None."""
        message = chat.messages.get(message_id) if message_id is not None else None
        return None if message is None or message.deleted else message

    def reply_target(self, chat: ChatRecord, params: Params) -> int | None:
        """The message a send replies to (reply_parameters), or 400 when it is gone."""
        reply = opt_dict(params, "reply_parameters")
        if reply is None:
            return None
        message_id = opt_int(reply, "message_id")
        if self.find_message(chat, message_id) is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return message_id

    def message_json(self, message: StoredMessage, *, with_reply: bool = True) -> JsonDict:
        """The Message object for a stored message, in its current state."""
        chat = self.chats[message.chat_id]
        sender = self._bot_json if message.from_bot else self.users[message.sender_id].to_json()
        data: JsonDict = {
            "message_id": message.message_id,
            "from": sender,
            "chat": chat.to_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if with_reply and message.reply_to_message_id is not None:
            replied = self.find_message(chat, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self.message_json(replied, with_reply=False)
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.media:
            data.update(message.media)
        if message.caption is not None:
            data["caption"] = message.caption
            if message.entities:
                data["caption_entities"] = message.entities
        if message.poll_id is not None:
            data["poll"] = self.poll_json(self.polls[message.poll_id])
        if message.extra:
            data.update(message.extra)
        rows = message.inline_keyboard
        if rows:
            data["reply_markup"] = {"inline_keyboard": rows}
        return data

    def poll_json(self, poll: PollRecord) -> JsonDict:
        """The Poll object, closing the poll first if its time ran out."""
        if (
            not poll.is_closed
            and poll.close_date is not None
            and self.now_unix() >= poll.close_date
        ):
            poll.is_closed = True
        return poll.to_json()

    def emit(self, kind: str, payload: Any, *, deliver: bool = True) -> Update:
        """Create an update; queue it for getUpdates/webhook when queue_updates is on."""
        update = self.updates.make(kind, payload)
        self.stats.updates_created += 1
        if self.queue_updates and deliver:
            self.updates.push(update)
        return update

    def new_id(self) -> int:
        """A fresh serial number for ids (files, polls, callback queries)."""
        return next(self._ids)

    # ------------------------------------------------------------------ reading state

    def chat(self, chat_id: int) -> ChatRecord:
        """A chat record (KeyError if unknown)."""
        return self.chats[chat_id]

    def messages(self, chat_id: int) -> list[StoredMessage]:
        """The bot's live messages in a chat, oldest first, in their current state."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if m.from_bot and not m.deleted]

    def last_message(self, chat_id: int) -> StoredMessage | None:
        """The bot's newest live message in a chat."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        for message in reversed(chat.messages.values()):
            if message.from_bot and not message.deleted:
                return message
        return None

    def chat_log(self, chat_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Every message in a chat (users' and the bot's), oldest first."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> StoredMessage:
        """One stored message, deleted or not (KeyError if it never existed)."""
        return self.chats[chat_id].messages[message_id]

    def callback_answer(self, callback_query_id: str) -> CallbackQueryRecord | None:
        """The answered callback query with this id, if the bot answered it."""
        record = self.callback_queries.get(callback_query_id)
        return record if record is not None and record.answered else None

    def command_list(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """(command, description) pairs set for a scope and language."""
        entries = self.commands.get((scope_key(scope), language_code), [])
        return [(str(c["command"]), str(c["description"])) for c in entries]

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a stored file."""
        return self.files[file_id].data

    def add_file(self, stored: StoredFile) -> None:
        """Keep a file, findable by file_id and by its download path."""
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """The file getFile called file_path (for /file/bot<token>/<path> downloads)."""
        return self._files_by_path.get(file_path)

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed."""
        return len(self.updates)

    # ------------------------------------------------------------------ webhook delivery

    def webhook_changed(self) -> None:
        """Start, restart or stop webhook delivery after setWebhook/deleteWebhook."""
        if self._deliverer is not None:
            self._deliverer.stop()
            self._deliverer = None
        if self.webhook.url:
            self._deliverer = WebhookDeliverer(self)
            self._deliverer.start()

    async def aclose(self) -> None:
        """Stop background work (webhook delivery)."""
        if self._deliverer is not None:
            deliverer, self._deliverer = self._deliverer, None
            deliverer.stop()
            await deliverer.wait_closed()


def _attach_files(
    params: Mapping[str, object], files: Mapping[str, UploadedFile] | None
) -> Mapping[str, object]:
    """Merge uploads into the parameters: attach://name values and parts named like a param."""
    if not files:
        return params
    args = dict(params)
    attached: set[str] = set()
    for name, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            part = value[len("attach://") :]
            if part in files:
                args[name] = files[part]
                attached.add(part)
    for name, upload in files.items():
        if name not in attached:
            args.setdefault(name, upload)
    return args
