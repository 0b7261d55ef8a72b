"""The enterprise's own 风险管控清单: starts from its sector's template, every change versioned."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.records.models import ChecklistVersion
from knowledge.checklists import MAX_ITEM_TEXT, Checklist

__all__ = [
    "MAX_ITEM_TEXT",
    "Item",
    "add_item",
    "current_version",
    "first_version",
    "items_of",
    "retire_item",
    "reword_item",
]


@dataclass(frozen=True, slots=True)
class Item:
    """One line of an enterprise's list; key stays the same when the wording changes."""

    key: str
    area: str
    text: str
    cites: str  # "fsl:45,sd-regulation:15", empty for the enterprise's own items


def items_of(version: ChecklistVersion) -> list[Item]:
    """The items a version holds, in order."""
    return [Item(**raw) for raw in json.loads(version.items)]


def _dump(items: list[Item]) -> str:
    return json.dumps(
        [{"key": i.key, "area": i.area, "text": i.text, "cites": i.cites} for i in items],
        ensure_ascii=False,
    )


def first_version(
    session: Session, enterprise_id: int, template: Checklist, *, by: int | None
) -> ChecklistVersion:
    """Version 1: the sector template as it is today (no commit)."""
    items = [
        Item(
            key=i.id,
            area=i.area,
            text=i.text,
            cites=",".join(f"{c.source}:{c.article}" for c in i.citations),
        )
        for i in template.items
    ]
    version = ChecklistVersion(
        enterprise_id=enterprise_id,
        number=1,
        items=_dump(items),
        note=f"按{template.title}模板建立",
        created_by=by,
    )
    session.add(version)
    return version


def current_version(session: Session, enterprise_id: int) -> ChecklistVersion | None:
    """The newest version of the enterprise's list."""
    return session.exec(
        select(ChecklistVersion)
        .where(ChecklistVersion.enterprise_id == enterprise_id)
        .order_by(col(ChecklistVersion.number).desc())
    ).first()


def _new_version(
    session: Session, enterprise_id: int, items: list[Item], note: str, by: int
) -> ChecklistVersion:
    latest = current_version(session, enterprise_id)
    number = (latest.number if latest else 0) + 1
    version = ChecklistVersion(
        enterprise_id=enterprise_id, number=number, items=_dump(items), note=note, created_by=by
    )
    session.add(version)
    session.commit()
    return version


def add_item(session: Session, enterprise_id: int, text: str, *, by: int) -> ChecklistVersion:
    """A new version with the enterprise's own item appended."""
    latest = current_version(session, enterprise_id)
    items = items_of(latest) if latest else []
    used = {i.key for i in items}
    n = 1
    while f"own-{n}" in used:
        n += 1
    items.append(Item(key=f"own-{n}", area="自定", text=text, cites=""))
    return _new_version(session, enterprise_id, items, f"新增第{len(items)}项", by)


def reword_item(
    session: Session, enterprise_id: int, index: int, text: str, *, by: int
) -> ChecklistVersion | None:
    """A new version with item number `index` (1-based) reworded; None if there is no such item."""
    latest = current_version(session, enterprise_id)
    items = items_of(latest) if latest else []
    if not 1 <= index <= len(items):
        return None
    old = items[index - 1]
    items[index - 1] = Item(key=old.key, area=old.area, text=text, cites=old.cites)
    return _new_version(session, enterprise_id, items, f"修改第{index}项", by)


def retire_item(
    session: Session, enterprise_id: int, index: int, *, by: int
) -> ChecklistVersion | None:
    """A new version without item `index`; None if there is no such item or it is the last."""
    latest = current_version(session, enterprise_id)
    items = items_of(latest) if latest else []
    if not 1 <= index <= len(items) or len(items) == 1:
        return None
    removed = items.pop(index - 1)
    return _new_version(session, enterprise_id, items, f"停用：{removed.text[:20]}", by)
