"""风险管控清单 templates: every sector has one, every item cites an article that exists."""

from __future__ import annotations

from pathlib import Path

from knowledge.checklists import SECTORS, load_checklists
from tests.knowledge.helpers import problems, write

GOOD_ITEM = """\
  - id: staff-health
    area: 人员
    text: 上岗人员都有有效的健康证明
    citations: [{source: fsl, article: 45}]
"""


def _all_sectors(folder: Path, skip: str = "") -> None:
    for sector in SECTORS:
        if sector != skip:
            write(folder / f"{sector}.yaml", f"sector: {sector}\nitems:\n{GOOD_ITEM}")


def test_the_shipped_templates_cover_every_sector_with_cited_items() -> None:
    checklists = load_checklists()
    assert set(checklists) == set(SECTORS)
    for checklist in checklists.values():
        assert len(checklist.items) >= 8
        assert all(item.citations for item in checklist.items)
        assert len({item.id for item in checklist.items}) == len(checklist.items)
    cited = {(c.source, c.article) for i in checklists["canteen"].items for c in i.citations}
    assert ("sd-regulation", 30) in cited  # 留样 is a canteen duty


def test_bad_items_are_reported_with_file_and_line(tmp_path: Path) -> None:
    _all_sectors(tmp_path, skip="catering")
    write(
        tmp_path / "catering.yaml",
        "sector: catering\nitems:\n"
        + GOOD_ITEM
        + """\
  - id: staff-health
    area: 人员
    text: 重复的编号
    citations: [{source: fsl, article: 45}]
  - id: no-such-article
    area: 贮存
    text: 冷藏温度正常
    citations: [{source: fsl, article: 999}]
  - id: unknown-source
    area: 贮存
    text: 冷藏温度正常
    citations: [{source: nowhere, article: 1}]
  - id: no-citation
    area: 环境
    text: 没有引用
""",
    )
    found = problems(load_checklists, tmp_path)
    assert found == [
        f"{tmp_path / 'catering.yaml'}:7: id 'staff-health' 重复",
        f"{tmp_path / 'catering.yaml'}:14: 中华人民共和国食品安全法没有第999条（共154条）",
        f"{tmp_path / 'catering.yaml'}:18: 未知的引用来源 'nowhere'（见 sources.yaml）",
        f"{tmp_path / 'catering.yaml'}:19: 至少需要一条 citations",
    ]


def test_a_missing_sector_and_a_wrong_sector_are_reported(tmp_path: Path) -> None:
    _all_sectors(tmp_path, skip="special")
    write(tmp_path / "catering.yaml", f"sector: bakery\nitems:\n{GOOD_ITEM}")
    found = problems(load_checklists, tmp_path)
    assert found[0].startswith(f"{tmp_path / 'catering.yaml'}:1: sector 只能取")
    assert found[1] == f"{tmp_path}: 缺少特殊食品生产的清单模板 special.yaml"
