"""日管控、周排查、月调度: enterprises, their people, their 风险管控清单 and their records."""

from __future__ import annotations

from bot.kit import Registration
from bot.records import daily as daily_svc
from handlers.records import checklist, daily, enterprise, exports, reports, settings, staff
from scheduler.records import setup_jobs

__all__ = ["REGISTRATION"]

REGISTRATION = Registration(
    name="records",
    section="records",
    handlers=(
        *enterprise.HANDLERS,
        *checklist.HANDLERS,
        *daily.HANDLERS,
        *settings.HANDLERS,
        *reports.HANDLERS,
        *exports.HANDLERS,
        *staff.HANDLERS,
    ),
    deep_links={"join": enterprise.join},
    startup=(setup_jobs,),
    text_probe=daily_svc.owes_text,
    text_inputs=(enterprise.draft_text, daily.awaiting_text, reports.report_text),
)
