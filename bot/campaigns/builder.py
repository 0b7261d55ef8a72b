"""/campaign_new step by step: the admin's answers kept in CampaignDraft, validated as YAML is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.campaigns.services import create_campaign, refused
from bot.campaigns.spec import (
    MAX_BALLOTS,
    RESULTS_VISIBILITY,
    VOTE_RULES,
    CampaignSpec,
    FieldError,
    check_ballot_title,
    check_description,
    check_max_choices,
    check_options,
    check_title,
    check_townships,
    parse_local_time,
    spec_from_mapping,
)
from bot.db import ensure_row
from bot.models import Campaign, CampaignDraft
from knowledge.yamlfile import Problems

__all__ = [
    "CHOICES",
    "SKIP",
    "Examples",
    "Step",
    "answer_choice",
    "answer_text",
    "cancel",
    "draft_spec",
    "examples",
    "save",
    "set_prompt",
    "start",
]

SKIP = "-"
CANCEL_WORDS = frozenset({"取消", "/cancel"})
# Steps answered with a button, and the values each accepts.
CHOICES: dict[str, tuple[str, ...]] = {
    "optional": ("no", "yes"),
    "more": ("yes", "no"),
    "vote_rule": VOTE_RULES,
    "results": RESULTS_VISIBILITY,
    "suggestions": ("yes", "no"),
    "confirm": ("save", "cancel"),
}
_WINDOW_SPLIT = re.compile(r"\s*(?:至|到|~|～|—)\s*")
_SEASONS = {**dict.fromkeys((3, 4, 5), "春季"), **dict.fromkeys((6, 7, 8), "夏季"),
            **dict.fromkeys((9, 10, 11), "秋季"), **dict.fromkeys((12, 1, 2), "冬季")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Examples:
    """What the prompts show as examples: taken from today, so copying one is accepted."""

    title: str  # 2027年春季你点我检
    starts: str  # tomorrow 08:00
    ends: str  # nineteen days later, 20:00


def examples(now: datetime, tz: ZoneInfo) -> Examples:
    """This season's title and a voting window from tomorrow 08:00 (local time)."""
    today = now.astimezone(tz).date()
    start = datetime.combine(today + timedelta(days=1), time(8, 0))
    end = datetime.combine(today + timedelta(days=20), time(20, 0))
    return Examples(
        title=f"{today.year}年{_SEASONS[today.month]}你点我检",
        starts=f"{start:%Y-%m-%d %H:%M}",
        ends=f"{end:%Y-%m-%d %H:%M}",
    )


@dataclass(frozen=True, slots=True)
class Step:
    """Where the draft is now: the step to ask next, and why the last answer was refused."""

    name: str
    data: dict[str, Any]
    error: str | None = None


def _load(session: Session, admin_id: int) -> CampaignDraft:
    draft = session.get(CampaignDraft, admin_id)
    if draft is None:
        raise refused("stale")
    return draft


def _store(session: Session, draft: CampaignDraft, step: str, data: dict[str, Any]) -> Step:
    draft.step, draft.data = step, json.dumps(data, ensure_ascii=False)
    session.add(draft)
    session.commit()
    return Step(step, data)


def start(session: Session, *, admin_id: int, now: datetime) -> Step:
    """Begin (or begin again) a draft: the first question is the title."""
    draft = session.get(CampaignDraft, admin_id) or ensure_row(
        session, CampaignDraft(admin_id=admin_id)
    )
    draft.updated_at = now
    return _store(session, draft, "title", {"ballots": []})


def set_prompt(session: Session, *, admin_id: int, message_id: int) -> None:
    """Remember the prompt the admin must reply to (older prompts are stale)."""
    draft = _load(session, admin_id)
    data = json.loads(draft.data)
    data["prompt_id"] = message_id
    _store(session, draft, draft.step, data)


def cancel(session: Session, *, admin_id: int) -> bool:
    """Drop the admin's draft; False when there was none."""
    draft = session.get(CampaignDraft, admin_id)
    if draft is None:
        return False
    session.delete(draft)
    session.commit()
    return True


def _window(text: str, data: dict[str, Any], now: datetime, tz: ZoneInfo) -> None:
    if text == SKIP:
        data["starts_at"] = data["ends_at"] = None
        return
    parts = _WINDOW_SPLIT.split(text.strip())
    if len(parts) != 2:
        ex = examples(now, tz)
        raise FieldError(f"请写成“开始时间 至 结束时间”，例如 {ex.starts} 至 {ex.ends}")
    starts = parse_local_time(None if parts[0] == SKIP else parts[0], tz)
    ends = parse_local_time(parts[1], tz, end=True)
    if ends is None or ends <= now or (starts is not None and ends <= starts):
        raise FieldError("结束时间应晚于开始时间，且还没有过去")
    data["starts_at"] = starts.isoformat() if starts else None
    data["ends_at"] = ends.isoformat()


def _apply_text(step: str, text: str, data: dict[str, Any], now: datetime, tz: ZoneInfo) -> str:
    """Store one typed answer; returns the next step (FieldError when it is unusable)."""
    ballots: list[dict[str, Any]] = data["ballots"]
    if step == "title":
        data["title"] = check_title(text)
        return "description"
    if step == "description":
        data["description"] = "" if text == SKIP else check_description(text)
        return "ballot_title"
    if step == "ballot_title":
        ballots.append({"title": check_ballot_title(text)})
        return "options"
    if step == "options":
        ballots[-1]["options"] = list(check_options(text))
        return "max_choices"
    if step == "max_choices":
        ballots[-1]["max_choices"] = check_max_choices(text, len(ballots[-1]["options"]))
        return "optional"
    if step == "townships":
        data["townships"] = [] if text == SKIP else list(check_townships(text))
        return "vote_rule"
    if step == "window":
        _window(text, data, now, tz)
        return "confirm"
    raise refused("stale")


def answer_text(
    session: Session, *, admin_id: int, prompt_id: int, text: str, now: datetime, tz: ZoneInfo
) -> Step:
    """The admin replied to a prompt: store the answer and move on, or say what is wrong."""
    draft = _load(session, admin_id)
    data: dict[str, Any] = json.loads(draft.data)
    if data.get("prompt_id") != prompt_id or draft.step in CHOICES:
        raise refused("stale")
    try:
        step = _apply_text(draft.step, text.strip(), data, now, tz)
    except FieldError as exc:
        return Step(draft.step, data, str(exc))
    return _store(session, draft, step, data)


def answer_choice(session: Session, *, admin_id: int, step: str, value: str) -> Step:
    """A button answer; it must belong to the step the draft is at."""
    draft = _load(session, admin_id)
    if draft.step != step or step == "confirm" or value not in CHOICES.get(step, ()):
        raise refused("stale")
    data: dict[str, Any] = json.loads(draft.data)
    following = {
        "optional": "more",
        "more": "ballot_title" if value == "yes" else "townships",
        "vote_rule": "results",
        "results": "suggestions",
        "suggestions": "window",
    }
    if step == "more" and value == "yes" and len(data["ballots"]) >= MAX_BALLOTS:
        return Step(step, data, f"问题已达上限（{MAX_BALLOTS} 个）")
    if step == "optional":
        data["ballots"][-1]["optional"] = value == "yes"
    elif step in ("vote_rule", "results"):
        data[step] = value
    elif step == "suggestions":
        data[step] = value == "yes"
    return _store(session, draft, following.get(step, step), data)


def draft_spec(data: dict[str, Any], *, now: datetime, tz: ZoneInfo) -> CampaignSpec:
    """Validate the whole draft with the same rules as a YAML file."""
    problems = Problems()
    raw = {k: v for k, v in data.items() if k != "prompt_id"}
    for key in ("starts_at", "ends_at"):
        if raw.get(key):
            raw[key] = datetime.fromisoformat(raw[key])
    spec = spec_from_mapping(raw, problems=problems, path=Path("对话草稿"), now=now, tz=tz)
    if spec is None:
        raise refused("draft_invalid", problems=problems.items)
    return spec


def save(session: Session, *, admin_id: int, now: datetime, tz: ZoneInfo) -> Campaign:
    """Create the draft campaign from the confirmed answers and drop the conversation."""
    draft = _load(session, admin_id)
    if draft.step != "confirm":
        raise refused("stale")
    spec = draft_spec(json.loads(draft.data), now=now, tz=tz)
    session.delete(draft)
    return create_campaign(session, spec, created_by=admin_id)
