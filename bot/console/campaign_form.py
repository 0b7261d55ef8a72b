"""The 你点我检 draft form: typed fields <-> the definition the YAML loader validates.

The form builds the same mapping a YAML file holds and hands it to spec_from_mapping, so the
console accepts exactly what a file or /campaign_new accepts, with the same Chinese messages;
they come back keyed by field (`title`, `ballots[2].options` …) to be shown next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from bot.campaigns.spec import MAX_BALLOTS, CampaignSpec, spec_from_mapping
from knowledge.yamlfile import Problems

__all__ = ["BallotFields", "CampaignForm", "check_form", "form_from_post", "form_from_spec"]

TIME_SHOWN = "%Y-%m-%d %H:%M"


@dataclass(slots=True)
class BallotFields:
    """One question as typed: options one per line (or separated by 、，；)."""

    title: str = ""
    options: str = ""
    max_choices: str = "1"
    optional: bool = False  # may be left unanswered: the ballot offers 都不选/不适用

    @property
    def blank(self) -> bool:
        """Nothing typed: the block is left out (an empty block is how a question is removed)."""
        return not self.title and not self.options


@dataclass(slots=True)
class CampaignForm:
    """Every field of the form as the staff member typed it."""

    title: str = ""
    description: str = ""
    ballots: list[BallotFields] = field(default_factory=lambda: [BallotFields()])
    townships: str = ""
    vote_rule: str = "campaign"
    results: str = "after_close"
    suggestions: bool = False
    starts_at: str = ""
    ends_at: str = ""

    def mapping(self) -> dict[str, Any]:
        """The definition as a YAML file would hold it (blank questions left out)."""
        ballots: list[dict[str, Any]] = []
        for b in self.ballots:
            if b.blank:
                continue
            item: dict[str, Any] = {"title": b.title, "options": b.options}
            if b.max_choices:  # blank: the YAML default (1)
                item["max_choices"] = b.max_choices
            if b.optional:
                item["optional"] = True
            ballots.append(item)
        return {
            "title": self.title,
            "description": self.description,
            "ballots": ballots,
            "townships": self.townships or None,
            "vote_rule": self.vote_rule,
            "results": self.results,
            "suggestions": self.suggestions,
            "starts_at": self.starts_at or None,
            "ends_at": self.ends_at or None,
        }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def form_from_post(form: FormData) -> CampaignForm:
    """The submitted fields; question blocks are ballot-<n>-title/options/max_choices/optional."""
    count = _text(form, "ballot_count")
    blocks = min(int(count), MAX_BALLOTS) if count.isascii() and count.isdigit() else 1
    return CampaignForm(
        title=_text(form, "title"),
        description=_text(form, "description"),
        ballots=[
            BallotFields(
                _text(form, f"ballot-{i}-title"),
                _text(form, f"ballot-{i}-options"),
                _text(form, f"ballot-{i}-max_choices"),
                _text(form, f"ballot-{i}-optional") == "yes",
            )
            for i in range(max(blocks, 1))
        ],
        townships=_text(form, "townships"),
        vote_rule=_text(form, "vote_rule"),
        results=_text(form, "results"),
        suggestions=_text(form, "suggestions") == "yes",
        starts_at=_text(form, "starts_at"),
        ends_at=_text(form, "ends_at"),
    )


def form_from_spec(spec: CampaignSpec, tz: ZoneInfo) -> CampaignForm:
    """A stored draft's definition in the form's fields."""

    def shown(value: datetime | None) -> str:
        return value.astimezone(tz).strftime(TIME_SHOWN) if value else ""

    return CampaignForm(
        title=spec.title,
        description=spec.description,
        ballots=[
            BallotFields(b.title, "\n".join(b.options), str(b.max_choices), b.optional)
            for b in spec.ballots
        ],
        townships="\n".join(spec.townships),
        vote_rule=spec.vote_rule,
        results=spec.results_visibility,
        suggestions=spec.allow_suggestions,
        starts_at=shown(spec.starts_at),
        ends_at=shown(spec.ends_at),
    )


def check_form(
    form: CampaignForm, *, now: datetime, tz: ZoneInfo
) -> tuple[CampaignSpec | None, dict[str, str]]:
    """The validated definition, or the problems by field name (the YAML loader's rules)."""
    form.ballots = [b for b in form.ballots if not b.blank] or [BallotFields()]
    errors: dict[str, str] = {}
    spec = spec_from_mapping(
        form.mapping(), problems=Problems(), path=Path("工作台表单"), now=now, tz=tz, fields=errors
    )
    return spec, errors
