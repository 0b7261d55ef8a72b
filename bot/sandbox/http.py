"""The emulator over real HTTP (tornado): the Bot API, file downloads and a user-side JSON API."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.sandbox.clock import RealClock
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.errors import ResponseLost, SpecViolation, error_envelope
from bot.sandbox.files import UploadedFile
from bot.sandbox.formdata import decode_fields
from bot.sandbox.state import JsonDict, StoredMessage
from bot.sandbox.updates import Update
from bot.sandbox.users import TINY_PNG, UserHandle

_LOGGER = logging.getLogger(__name__)
# Longer than any read timeout the bot uses for a send (PTB: 5 s by default).
LOST_RESPONSE_HOLD = 30.0


def message_view(emu: BotApiEmulator, message: StoredMessage) -> JsonDict:
    """A message as Telegram JSON plus the sandbox's own record (raw HTML, edits, deleted)."""
    view = emu.message_json(message)
    view["sandbox"] = {
        "from_bot": message.from_bot,
        "html": message.html,
        "deleted": message.deleted,
        "edits": len(message.history),
        "buttons": message.buttons,
        "reply_markup": message.reply_markup,
    }
    return view


class _Handler(RequestHandler):
    emu: BotApiEmulator

    def initialize(self, emu: BotApiEmulator) -> None:
        """Tornado passes the emulator from the route table."""
        self.emu = emu
        self.gone = False

    def on_connection_close(self) -> None:
        """The client went away (e.g. a bot stopped mid long poll)."""
        self.gone = True

    def reply(self, status: int, body: Any) -> None:
        """Finish with a JSON body (unless nobody is listening any more)."""
        if self.gone:
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False))

    def body_json(self) -> dict[str, Any]:
        """The request body as a JSON object ({} when empty)."""
        if not self.request.body:
            return {}
        data = json.loads(self.request.body)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data


class ApiHandler(_Handler):
    """/bot<token>/<method>: JSON, urlencoded and multipart bodies, and query strings."""

    async def get(self, token: str, method: str) -> None:
        """GET works too, as on Telegram."""
        await self._call(token, method)

    async def post(self, token: str, method: str) -> None:
        """The usual way."""
        await self._call(token, method)

    def _decode(self, method: str) -> tuple[dict[str, object], dict[str, UploadedFile]]:
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            return self.body_json(), {}
        fields = {
            name: values[-1].decode("utf-8") for name, values in self.request.arguments.items()
        }
        files = {
            name: UploadedFile(part.filename, part.body, part.content_type)
            for name, parts in self.request.files.items()
            for part in parts[-1:]
        }
        return decode_fields(self.emu.spec, method, fields), files

    async def _call(self, token: str, method: str) -> None:
        try:
            params, files = self._decode(method)
        except ValueError:
            self.reply(400, error_envelope(400, "Bad Request: can't parse JSON object"))
            return
        try:
            status, body = await self.emu.call(method, params, files=files, token=token)
        except SpecViolation as violation:
            status, body = 400, error_envelope(400, f"Bad Request: {violation.message}")
        except ResponseLost as lost:
            # Answer only after any client read timeout: the bot sees a timed-out request.
            await asyncio.sleep(LOST_RESPONSE_HOLD)
            status, body = lost.status, lost.body
        except Exception:
            _LOGGER.exception("sandbox failed on %s", method)
            status, body = 500, error_envelope(500, "Internal Server Error")
        self.reply(status, body)


class FileHandler(_Handler):
    """/file/bot<token>/<file_path>: downloads of files getFile described."""

    def get(self, token: str, path: str) -> None:
        """Serve the stored bytes."""
        if not self.emu.accepts_token(token):
            self.reply(401, error_envelope(401, "Unauthorized"))
            return
        stored = self.emu.file_by_path(path)
        if stored is None:
            self.reply(404, error_envelope(404, "Not Found"))
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.data)


def _button(raw: Any) -> str | tuple[int, int]:
    if isinstance(raw, list) and len(raw) == 2:
        return int(raw[0]), int(raw[1])
    return str(raw)


def _bytes(body: dict[str, Any], default: bytes = b"") -> bytes:
    encoded = body.get("data_base64")
    return base64.b64decode(encoded) if isinstance(encoded, str) else default


_USER_ACTIONS: dict[str, Callable[[UserHandle, dict[str, Any]], Update]] = {
    "send": lambda u, b: u.send(b["text"], b.get("chat_id"), reply_to=b.get("reply_to")),
    "edit": lambda u, b: u.edit(b["message_id"], b["text"], chat_id=b.get("chat_id")),
    "press": lambda u, b: u.press(b["message_id"], _button(b["button"]), chat_id=b.get("chat_id")),
    "press_data": lambda u, b: u.press_data(b["message_id"], b["data"], chat_id=b.get("chat_id")),
    "vote": lambda u, b: u.vote(str(b["poll_id"]), b.get("option_ids", [])),
    "block": lambda u, _body: u.block(),
    "unblock": lambda u, _body: u.unblock(),
    "join": lambda u, b: u.join(b["chat_id"]),
    "leave": lambda u, b: u.leave(b["chat_id"]),
    "send_photo": lambda u, b: u.send_photo(
        _bytes(b, TINY_PNG), caption=b.get("caption"), chat_id=b.get("chat_id")
    ),
    "send_document": lambda u, b: u.send_document(
        b["filename"],
        _bytes(b),
        mime_type=b.get("mime_type"),
        caption=b.get("caption"),
        chat_id=b.get("chat_id"),
    ),
    "send_location": lambda u, b: u.send_location(
        b.get("latitude", 36.6512), b.get("longitude", 117.1201), chat_id=b.get("chat_id")
    ),
    "send_sticker": lambda u, b: u.send_sticker(b.get("emoji", "👍"), chat_id=b.get("chat_id")),
    "send_voice": lambda u, b: u.send_voice(chat_id=b.get("chat_id")),
}


class UserActionHandler(_Handler):
    """POST /sandbox/users/<id>/<action>: act as a user; answers {"ok": true, "update": ...}."""

    def post(self, user_id: str, action: str) -> None:
        """Run one user action."""
        run = _USER_ACTIONS.get(action)
        if run is None:
            self.reply(404, {"ok": False, "error": f"unknown action {action!r}"})
            return
        try:
            body = self.body_json()
            user = self.emu.user(int(user_id), body.get("first_name"))
            update = run(user, body)
        except (KeyError, LookupError, ValueError, PermissionError, TypeError) as error:
            self.reply(400, {"ok": False, "error": f"{error.__class__.__name__}: {error}"})
            return
        self.reply(200, {"ok": True, "update": update})


class UsersHandler(_Handler):
    """POST /sandbox/users: create or rename a user."""

    def post(self) -> None:
        """Body: id, first_name, last_name, username, language_code, started."""
        body = self.body_json()
        user = self.emu.user(
            int(body["id"]),
            body.get("first_name"),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "zh-hans"),
            started=bool(body.get("started", True)),
        )
        self.reply(200, {"ok": True, "user": user.record.to_json()})


class GroupsHandler(_Handler):
    """POST /sandbox/groups: create a group {"title", "member_ids", "supergroup"}."""

    def post(self) -> None:
        """Answers {"ok": true, "chat_id": ...}."""
        body = self.body_json()
        chat_id = self.emu.create_group(
            str(body.get("title", "群聊")),
            [int(i) for i in body.get("member_ids", [])],
            supergroup=bool(body.get("supergroup", False)),
        )
        self.reply(200, {"ok": True, "chat_id": chat_id})


class ChatMessagesHandler(_Handler):
    """GET /sandbox/chats/<id>/messages: the bot's live messages (?all=1: every message)."""

    def get(self, chat_id: str) -> None:
        """Messages oldest first."""
        everything = self.get_query_argument("all", "0") not in ("0", "", "false")
        messages = (
            self.emu.chat_log(int(chat_id)) if everything else self.emu.messages(int(chat_id))
        )
        self.reply(200, {"ok": True, "messages": [message_view(self.emu, m) for m in messages]})


class LimitsHandler(_Handler):
    """GET/POST /sandbox/limits: read or change the flood limits."""

    def get(self) -> None:
        """Current limits."""
        self.reply(200, {"ok": True, "limits": self.emu.limits.as_dict()})

    def post(self) -> None:
        """Change some limits (and reset the counters)."""
        try:
            self.emu.limits.update(self.body_json())
        except ValueError as error:
            self.reply(400, {"ok": False, "error": str(error)})
            return
        self.emu.limiter.reset()
        self.get()


class FailureHandler(_Handler):
    """POST /sandbox/inject_failure: {"method", "status", "description", "retry_after", ...}."""

    def post(self) -> None:
        """Register a fault rule."""
        body = self.body_json()
        rule = self.emu.inject_failure(
            str(body.get("method", "*")),
            int(body["status"]),
            body.get("description"),
            body.get("retry_after"),
            int(body.get("times", 1)),
            body.get("chat_id"),
        )
        self.reply(200, {"ok": True, "description": rule.description})


class StatsHandler(_Handler):
    """GET /sandbox/stats."""

    def get(self) -> None:
        """Counters plus pending updates and recorded problems."""
        stats = self.emu.stats.as_dict()
        stats["pending_updates"] = self.emu.pending_updates
        stats["violations"] = self.emu.violations
        stats["internal_errors"] = self.emu.internal_errors
        self.reply(200, {"ok": True, "stats": stats})


class CallbackAnswersHandler(_Handler):
    """GET /sandbox/callback_answers: how the bot answered button presses."""

    def get(self) -> None:
        """Answers in the order given."""
        answers = [
            {
                "id": a.id,
                "user_id": a.user_id,
                "chat_id": a.chat_id,
                "message_id": a.message_id,
                "data": a.data,
                "text": a.text,
                "show_alert": a.show_alert,
            }
            for a in self.emu.callback_answers
        ]
        self.reply(200, {"ok": True, "answers": answers})


class ClockHandler(_Handler):
    """POST /sandbox/clock/advance {"seconds": N}: only with a ManualClock."""

    def post(self) -> None:
        """Move the emulator's clock."""
        advance = getattr(self.emu.clock, "advance", None)
        if advance is None:
            self.reply(400, {"ok": False, "error": "the emulator runs on a real clock"})
            return
        self.reply(200, {"ok": True, "now": advance(float(self.body_json().get("seconds", 0)))})


def make_app(emu: BotApiEmulator) -> Application:
    """The tornado application serving this emulator."""
    args = {"emu": emu}
    return Application(
        [
            (r"/bot([^/]*)/([A-Za-z0-9_]+)/?", ApiHandler, args),
            (r"/file/bot([^/]*)/(.+)", FileHandler, args),
            (r"/sandbox/users", UsersHandler, args),
            (r"/sandbox/users/(-?\d+)/([a-z_]+)", UserActionHandler, args),
            (r"/sandbox/groups", GroupsHandler, args),
            (r"/sandbox/chats/(-?\d+)/messages", ChatMessagesHandler, args),
            (r"/sandbox/limits", LimitsHandler, args),
            (r"/sandbox/inject_failure", FailureHandler, args),
            (r"/sandbox/stats", StatsHandler, args),
            (r"/sandbox/callback_answers", CallbackAnswersHandler, args),
            (r"/sandbox/clock/advance", ClockHandler, args),
        ]
    )


async def serve(
    emu: BotApiEmulator, host: str = "127.0.0.1", port: int = 0
) -> tuple[HTTPServer, int]:
    """Start serving on host:port (0 = any free port); returns the server and the real port."""
    sockets = bind_sockets(port, host, family=socket.AF_INET)
    server = HTTPServer(make_app(emu), max_body_size=60 * 1024 * 1024)
    server.add_sockets(sockets)
    return server, sockets[0].getsockname()[1]


def run_server(port: int = 8081, token: str | None = None, host: str = "127.0.0.1") -> None:
    """Serve a fresh emulator until interrupted (the `sandbox serve` CLI; no token = any)."""

    async def main() -> None:
        emu = BotApiEmulator(token, clock=RealClock())
        server, actual = await serve(emu, host, port)
        shown = token or "any well-formed token"
        sys.stdout.write(
            f"Bot API sandbox: TELEGRAM_API_BASE_URL=http://{host}:{actual}/bot ({shown});"
            " user API under /sandbox/. Ctrl-C stops.\n"
        )
        sys.stdout.flush()
        try:
            await asyncio.Event().wait()
        finally:
            server.stop()
            await emu.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
