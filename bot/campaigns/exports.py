"""你点我检 exports: a bar chart per ballot (PNG) and an Excel workbook (ballots + raw votes)."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlmodel import Session

from bot.campaigns.results import RawVote, Results, raw_votes, tally
from bot.charts import bar_chart, with_text

__all__ = ["CHART_KEY", "chart_pngs", "export_files", "workbook_bytes"]

# The figures a chart was drawn from travel inside the PNG (a tEXt chunk), so anyone holding
# the image can check it against the workbook.
CHART_KEY = "shian:tally"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def chart_pngs(results: Results) -> list[tuple[str, bytes]]:
    """One bar chart per ballot, most chosen first, then voters per 镇/街道: (name, PNG)."""
    campaign = results.campaign
    charts: list[tuple[str, bytes]] = []
    for number, ballot in enumerate(results.ballots, 1):
        title = f"{campaign.title}\n{ballot.title}（{results.votes} 人次投票）"
        rows = [(row.label, row.count) for row in ballot.rows]
        charts.append((f"campaign_{campaign.id}_{number}.png", _chart(title, ballot.title, rows)))
    if results.townships:
        # In the campaign's order; the last row holds those who did not say.
        title = f"{campaign.title}\n投票人所在镇/街道（{results.voters} 人）"
        rows = [(t.name, t.voters) for t in results.townships]
        charts.append((f"campaign_{campaign.id}_townships.png", _chart(title, "镇/街道", rows)))
    return charts


def _chart(title: str, name: str, rows: list[tuple[str, int]]) -> bytes:
    labels, counts = [r[0] for r in rows], [r[1] for r in rows]
    png = bar_chart(
        title, labels, [float(c) for c in counts], xlabel="票数" if name != "镇/街道" else "人数"
    )
    figures = json.dumps({"ballot": name, "labels": labels, "counts": counts})
    return with_text(png, CHART_KEY, figures)


def _sheet_title(number: int, title: str, used: set[str]) -> str:
    name = f"{number}.{_BAD_SHEET_CHARS.sub('_', title)}"[:31]
    while name in used:
        name = f"{name[:28]}~{len(used)}"
    used.add(name)
    return name


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    # Excel has no time zones: write Beijing wall-clock time, as staff read it.
    return value.astimezone(tz).replace(tzinfo=None)


def workbook_bytes(results: Results, votes: list[RawVote], tz: ZoneInfo) -> bytes:
    """The workbook: one sheet per ballot, 镇街分布, 其他建议 and 原始投票 (pseudonymous)."""
    book = Workbook()
    used: set[str] = set()
    first = book.active
    for number, ballot in enumerate(results.ballots, 1):
        sheet = first if number == 1 else book.create_sheet()
        sheet.title = _sheet_title(number, ballot.title, used)
        sheet.append(["排名", "选项", "票数", "占投票人次"])
        for row in ballot.rows:
            sheet.append([row.rank, row.label, row.count, row.share])
            sheet.cell(sheet.max_row, 4).number_format = "0.0%"
        sheet.append([])
        sheet.append(["活动", results.campaign.title])
        sheet.append(["问题", f"{ballot.title}（最多选 {ballot.max_choices} 项）"])
        sheet.append(["投票人数", results.voters])
        sheet.append(["投票人次", results.votes])
        sheet.column_dimensions["B"].width = 28
    if results.townships:
        sheet = book.create_sheet("镇街分布")
        sheet.append(["镇/街道", "投票人数", "占投票人数"])
        for town in results.townships:
            sheet.append([town.name, town.voters, town.share])
            sheet.cell(sheet.max_row, 3).number_format = "0.0%"
    if results.suggestions:
        sheet = book.create_sheet("其他建议")
        sheet.append(["问题", "建议", "时间"])
        for item in results.suggestions:
            sheet.append([item.ballot, item.text, _local(item.at, tz)])
    sheet = book.create_sheet("原始投票")
    titles = [b.title for b in results.ballots]
    sheet.append(["投票人（匿名编号）", "日期", "镇/街道", "来源", "提交时间", *titles])
    for vote in votes:
        sheet.append(
            [
                vote.voter,
                vote.day or _local(vote.submitted_at, tz).date().isoformat(),
                vote.township or "",
                "群投票" if vote.source == "poll" else "投票页",
                _local(vote.submitted_at, tz),
                *["、".join(chosen) for chosen in vote.choices],
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_files(session: Session, campaign_id: int, out: Path, tz: ZoneInfo) -> list[Path]:
    """Write the charts and the workbook into out/; returns the paths (empty: no campaign)."""
    results = tally(session, campaign_id)
    if results is None:
        return []
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, png in chart_pngs(results):
        written.append(out / name)
        written[-1].write_bytes(png)
    book = out / f"campaign_{campaign_id}.xlsx"
    book.write_bytes(workbook_bytes(results, raw_votes(session, campaign_id), tz))
    return [*written, book]
