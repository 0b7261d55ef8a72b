"""python -m bot campaign create FILE | list | export ID [--out DIR]."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from bot.campaigns.exports import export_files
from bot.campaigns.services import create_campaign, list_campaigns
from bot.campaigns.spec import load_definition
from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.models import Campaign, as_utc, utcnow
from bot.render import label
from bot.schema import prepare
from bot.users import audit
from knowledge.yamlfile import DataError

__all__ = ["run_campaign_command"]

CLI_ACTOR = 0  # campaigns created from the command line have no Telegram creator


def _say(text: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(text + "\n")


def _local(value: datetime | None, settings: Settings) -> str:
    return f"{as_utc(value).astimezone(settings.tz):%Y-%m-%d %H:%M}" if value else "手动"


def _window(campaign: Campaign, settings: Settings) -> str:
    return f"{_local(campaign.starts_at, settings)} 至 {_local(campaign.ends_at, settings)}"


def _actual(campaign: Campaign, settings: Settings) -> str:
    """When it really opened and closed (opened early by hand, closed late by the scheduler)."""
    if campaign.opened_at is None:
        return "实际：未开始"
    opened = _local(campaign.opened_at, settings)
    if campaign.closed_at is None:
        return f"实际：{opened} 开始，尚未结束"
    return f"实际：{opened} 至 {_local(campaign.closed_at, settings)}"


def create(session: Session, settings: Settings, path: Path) -> int:
    """Create a draft campaign from a YAML file."""
    if not path.is_file():
        _say(f"找不到文件：{path}", error=True)
        return 2
    try:
        spec = load_definition(path, now=utcnow(), tz=settings.tz)
    except DataError as exc:
        _say("活动文件有错误：\n" + "\n".join(exc.problems), error=True)
        return 1
    campaign = create_campaign(session, spec, created_by=CLI_ACTOR)
    audit(session, actor_id=CLI_ACTOR, action="campaign:create", detail=f"{campaign.id} {path}")
    _say(
        f"已创建活动 #{campaign.id}《{campaign.title}》（草稿，{len(spec.ballots)} 个问题，"
        f"时间：{_window(campaign, settings)}）。\n"
        f"在机器人里用 /campaign_open {campaign.id} 开始投票。"
    )
    return 0


def list_all(session: Session, settings: Settings) -> int:
    """One line per campaign, newest first: planned and actual opening and closing."""
    rows = list_campaigns(session, limit=1000)
    if not rows:
        _say("还没有活动。")
    for campaign, voters in rows:
        _say(
            f"#{campaign.id}\t{label(f'camp_status_{campaign.status}')}\t{voters} 人投票\t"
            f"计划：{_window(campaign, settings)}\t{_actual(campaign, settings)}\t{campaign.title}"
        )
    return 0


def export(session: Session, settings: Settings, campaign_id: int, out: Path) -> int:
    """Write the charts and the workbook."""
    paths = export_files(session, campaign_id, out, settings.tz)
    if not paths:
        _say(f"没有编号为 {campaign_id} 的活动。", error=True)
        return 1
    _say("\n".join(str(p) for p in paths))
    return 0


def run_campaign_command(settings: Settings, args: argparse.Namespace) -> int:
    """Dispatch `python -m bot campaign ...`."""
    engine = make_engine(settings.database_url)
    prepare(engine)
    try:
        with session_scope(engine) as session:
            if args.campaign_command == "create":
                return create(session, settings, Path(args.file))
            if args.campaign_command == "list":
                return list_all(session, settings)
            return export(session, settings, args.id, Path(args.out))
    finally:
        engine.dispose()
