"""Offline Telegram: a Bot API emulator used in-process (SandboxRequest) or over HTTP (serve)."""

from __future__ import annotations

from bot.sandbox.clock import ManualClock
from bot.sandbox.driver import process_pending, process_update
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.errors import ApiError, SpecViolation
from bot.sandbox.files import StoredFile, UploadedFile
from bot.sandbox.http import run_server, serve
from bot.sandbox.limits import Limits
from bot.sandbox.request import SandboxRequest
from bot.sandbox.spec import ApiSpec, SpecMissing, load_spec
from bot.sandbox.state import CallbackQueryRecord, ChatAction, PollRecord, StoredMessage
from bot.sandbox.users import UserHandle

__all__ = [
    "ApiError",
    "ApiSpec",
    "BotApiEmulator",
    "CallbackQueryRecord",
    "ChatAction",
    "Limits",
    "ManualClock",
    "PollRecord",
    "SandboxRequest",
    "SpecMissing",
    "SpecViolation",
    "StoredFile",
    "StoredMessage",
    "UploadedFile",
    "UserHandle",
    "load_spec",
    "process_pending",
    "process_update",
    "run_server",
    "serve",
]
