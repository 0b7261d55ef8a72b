"""The user side: a handle that types, taps buttons, votes and blocks, producing updates."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from telegram import Message

from bot.sandbox.entities import user_entities
from bot.sandbox.methods.media import document_json, photo_sizes, store_file
from bot.sandbox.state import CallbackQueryRecord, ChatRecord, StoredMessage, UserRecord
from bot.sandbox.updates import Update

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

# A valid 1x1 PNG, so a photo "taken" by a test user has real bytes and dimensions.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# A message as a test holds it: stored record, Telegram JSON (or an Update), PTB Message or id.
MAX_TEXT = 4096
MessageRef = StoredMessage | Mapping[str, Any] | Message | int


class UserHandle:
    """Acts as one Telegram user. Every action returns the Update (Telegram JSON) it caused."""

    def __init__(self, emu: BotApiEmulator, record: UserRecord) -> None:
        self._emu = emu
        self.record = record

    @property
    def id(self) -> int:
        """The user's id (also the id of the private chat with the bot)."""
        return self.record.id

    @property
    def chat_id(self) -> int:
        """The private chat with the bot."""
        return self.record.id

    def __repr__(self) -> str:
        return f"UserHandle({self.id}, {self.record.first_name!r})"

    # -------------------------------------------------------------- sending

    def _chat(self, chat_id: int | None) -> ChatRecord:
        chat = self._emu.chats[self.id if chat_id is None else chat_id]
        if chat.is_group and self.id not in chat.member_ids:
            raise PermissionError(f"user {self.id} is not a member of chat {chat.id}")
        return chat

    def _post(self, chat: ChatRecord, *, to_bot: bool = True, **fields: Any) -> Update:
        if not chat.is_group:
            self.record.started = True  # writing to the bot lets it write back
        message = self._emu.add_message(chat, self.record, **fields)
        # In privacy mode a group bot only sees commands and replies to itself.
        seen = not (chat.is_group and self._emu.privacy_mode) or to_bot
        return self._emu.emit("message", self._emu.message_json(message), deliver=seen)

    def send(
        self, text: str, chat_id: int | None = None, *, reply_to: int | None = None
    ) -> Update:
        """Type a message ("/start payload" is a deep link; commands get a bot_command entity)."""
        if not text or len(text) > MAX_TEXT:
            # Telegram clients never send an empty message and split longer ones.
            raise ValueError(f"a user message has 1-{MAX_TEXT} characters, got {len(text)}")
        chat = self._chat(chat_id)
        entities = user_entities(text)
        replied = self._emu.find_message(chat, reply_to) if reply_to is not None else None
        to_bot = bool(entities and entities[0]["type"] == "bot_command") or bool(
            replied and replied.from_bot
        )
        return self._post(
            chat,
            to_bot=to_bot,
            text=text,
            entities=entities,
            reply_to_message_id=reply_to,
        )

    def send_photo(
        self, data: bytes = TINY_PNG, *, caption: str | None = None, chat_id: int | None = None
    ) -> Update:
        """Send a photo (PNG/JPEG bytes), optionally captioned."""
        stored = store_file(self._emu, "photo", data, mime_type="image/jpeg")
        return self._post(
            self._chat(chat_id), caption=caption, media={"photo": photo_sizes(stored)}
        )

    def send_document(
        self,
        filename: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> Update:
        """Send a file."""
        stored = store_file(self._emu, "document", data, filename=filename, mime_type=mime_type)
        return self._post(
            self._chat(chat_id), caption=caption, media={"document": document_json(stored)}
        )

    def send_sticker(self, emoji: str = "👍", *, chat_id: int | None = None) -> Update:
        """Send a sticker."""
        stored = store_file(self._emu, "sticker", b"", mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post(self._chat(chat_id), media={"sticker": sticker})

    def send_voice(
        self, data: bytes = b"OggS", *, duration: int = 2, chat_id: int | None = None
    ) -> Update:
        """Send a voice message."""
        stored = store_file(self._emu, "voice", data, mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return self._post(self._chat(chat_id), media={"voice": voice})

    def send_location(
        self, latitude: float = 36.6512, longitude: float = 117.1201, *, chat_id: int | None = None
    ) -> Update:
        """Share a location (default: Jinan)."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._post(self._chat(chat_id), media={"location": location})

    def edit(self, message_id: int, new_text: str, *, chat_id: int | None = None) -> Update:
        """Edit one of this user's text messages (an edited_message update)."""
        chat = self._chat(chat_id)
        message = self._emu.find_message(chat, message_id)
        if message is None or message.sender_id != self.id or message.text is None:
            raise LookupError(f"user {self.id} has no text message {message_id} in {chat.id}")
        message.history.append(message.snapshot())
        message.text = new_text
        message.entities = user_entities(new_text)
        message.edit_date = self._emu.now_unix()
        return self._emu.emit("edited_message", self._emu.message_json(message))

    # -------------------------------------------------------------- buttons and polls

    def _target(self, message: MessageRef, chat_id: int | None) -> StoredMessage:
        if isinstance(message, StoredMessage | Message):
            chat_id, message_id = message.chat_id, message.message_id
        elif isinstance(message, Mapping):
            body = message.get("message", message)  # an Update from send() works too
            chat_id, message_id = body["chat"]["id"], body["message_id"]
        else:
            message_id = message
        chat = self._chat(chat_id)
        found = self._emu.find_message(chat, message_id)
        if found is None:
            raise LookupError(f"no message {message_id} in chat {chat.id}")
        return found

    def press(
        self,
        message: MessageRef,
        button: str | tuple[int, int],
        *,
        chat_id: int | None = None,
    ) -> Update:
        """Tap an inline button (by label or (row, column)) on a message as it is now."""
        target = self._target(message, chat_id)
        found = target.find_button(button)
        data = found.get("callback_data")
        if not isinstance(data, str):
            raise ValueError(f"button {button!r} has no callback_data: {found}")
        return self.press_data(target, data)

    def press_data(self, message: MessageRef, data: str, *, chat_id: int | None = None) -> Update:
        """Send a callback query with any data, as a stale or forged button would."""
        target = self._target(message, chat_id)
        emu = self._emu
        query_id = str(7_000_000_000_000_000_000 + emu.new_id())
        emu.callback_queries[query_id] = CallbackQueryRecord(
            query_id, self.id, target.chat_id, target.message_id, data, emu.clock()
        )
        return emu.emit(
            "callback_query",
            {
                "id": query_id,
                "from": self.record.to_json(),
                "message": emu.message_json(target),
                "chat_instance": str(abs(target.chat_id) * 7919 % 10**12),
                "data": data,
            },
        )

    def vote(self, poll_id: str, option_ids: Sequence[int]) -> Update:
        """Vote (empty option_ids retracts); returns poll_answer, or poll when anonymous."""
        emu = self._emu
        poll = emu.polls[poll_id]
        emu.poll_json(poll)  # closes it if open_period ran out
        if poll.is_closed:
            raise ValueError(f"poll {poll_id} is closed")
        chosen = tuple(option_ids)
        if len(set(chosen)) != len(chosen) or any(not 0 <= i < len(poll.options) for i in chosen):
            raise ValueError(f"invalid option ids {chosen} for poll {poll_id}")
        if len(chosen) > 1 and not poll.allows_multiple_answers:
            raise ValueError(f"poll {poll_id} allows one answer only")
        previous = poll.votes.get(self.id)
        if previous is not None and not poll.allows_revoting:
            raise ValueError(f"poll {poll_id} does not allow changing a vote")
        if previous is None and not chosen:
            raise ValueError("nothing to retract")
        for index in previous or ():
            poll.options[index].voter_count -= 1
        for index in chosen:
            poll.options[index].voter_count += 1
        if chosen:
            poll.votes[self.id] = chosen
        else:
            poll.votes.pop(self.id, None)
        answer = None
        if not poll.is_anonymous:
            answer = emu.emit(
                "poll_answer",
                {
                    "poll_id": poll.id,
                    "user": self.record.to_json(),
                    "option_ids": list(chosen),
                    "option_persistent_ids": [poll.options[i].persistent_id for i in chosen],
                },
            )
        state = emu.emit("poll", emu.poll_json(poll))
        return answer or state

    # -------------------------------------------------------------- membership

    def _member_update(self, chat: ChatRecord, member: Any, old: str, new: str) -> dict[str, Any]:
        def state(status: str) -> dict[str, Any]:
            # ChatMemberBanned always carries until_date; 0 means "forever".
            return {
                "status": status,
                "user": member,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        return {
            "chat": chat.to_json(),
            "from": self.record.to_json(),
            "date": self._emu.now_unix(),
            "old_chat_member": state(old),
            "new_chat_member": state(new),
        }

    def block(self) -> Update:
        """Block the bot: later sends to this user get 403 (a my_chat_member update)."""
        self.record.blocked = True
        chat = self._emu.chats[self.id]
        return self._emu.emit(
            "my_chat_member",
            self._member_update(chat, self._emu.bot.to_json(), "member", "kicked"),
        )

    def unblock(self) -> Update:
        """Unblock the bot (a my_chat_member update back to member)."""
        self.record.blocked = False
        chat = self._emu.chats[self.id]
        return self._emu.emit(
            "my_chat_member",
            self._member_update(chat, self._emu.bot.to_json(), "kicked", "member"),
        )

    def join(self, group_chat_id: int) -> Update:
        """Join a group: a new_chat_members message (and a chat_member update, opt-in)."""
        chat = self._emu.chats[group_chat_id]
        chat.member_ids.add(self.id)
        me = self.record.to_json()
        self._emu.emit("chat_member", self._member_update(chat, me, "left", "member"))
        return self._post(chat, extra={"new_chat_members": [me]})

    def leave(self, group_chat_id: int) -> Update:
        """Leave a group: a left_chat_member message."""
        chat = self._chat(group_chat_id)
        me = self.record.to_json()
        update = self._post(chat, extra={"left_chat_member": me})
        chat.member_ids.discard(self.id)
        self._emu.emit("chat_member", self._member_update(chat, me, "member", "left"))
        return update

    # -------------------------------------------------------------- reading

    def messages(self) -> list[StoredMessage]:
        """The bot's live messages in this user's private chat."""
        return self._emu.messages(self.id)

    def last_message(self) -> StoredMessage | None:
        """The bot's newest live message in this user's private chat."""
        return self._emu.last_message(self.id)

    def callback_answer(self, update: Mapping[str, Any]) -> CallbackQueryRecord | None:
        """The bot's answer to the callback query in an update returned by press()."""
        return self._emu.callback_answer(update["callback_query"]["id"])
