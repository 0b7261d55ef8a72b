from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.render import (
    FEATURE_FOLDERS,
    TEMPLATES,
    chinese_number,
    configure_timezone,
    environment,
    is_blank,
    label,
    pack_items,
    render,
    split_message,
    visible_length,
)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (10, "十"),
        (15, "十五"),
        (20, "二十"),
        (73, "七十三"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (126, "一百二十六"),
        (154, "一百五十四"),
    ],
)
def test_chinese_article_numbers(n: int, text: str) -> None:
    assert chinese_number(n) == text


def test_user_text_is_escaped() -> None:
    out = render("unknown_command", command="<b>&x")
    assert "&lt;b&gt;&amp;x" in out
    assert "<b>&x" not in out


def test_undefined_names_fail_loudly() -> None:
    with pytest.raises(Exception, match="undefined"):
        render("unknown_command")


def test_labels_are_plain_and_unique() -> None:
    assert label("helpful") == "👍 有用"
    assert label("related", question="健康证") == "🔎 健康证"


def test_short_text_is_one_part() -> None:
    assert split_message("短消息") == ["短消息"]


def test_long_text_splits_at_lines_within_the_limit() -> None:
    line = "<b>标题</b> " + "字" * 90
    text = "\n".join([line] * 100)
    parts = split_message(text, limit=4096)
    assert len(parts) == 3
    assert all(visible_length(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert all(p.count("<b>") == p.count("</b>") for p in parts)


def test_a_single_overlong_line_is_cut_outside_tags_and_entities() -> None:
    text = "甲&amp;" * 2000
    parts = split_message(text, limit=1000)
    assert "".join(parts) == text
    assert all(visible_length(p) <= 1000 for p in parts)
    assert all(not p.endswith("&") and not p.endswith("&am") for p in parts)


def test_items_are_packed_whole_by_their_length_after_parsing() -> None:
    item = "<b>第 1 题</b> " + "&lt;字&gt;" * 300  # 1,300 characters as HTML, 906 as shown
    parts = pack_items([item] * 9, limit=4096)
    assert [p.count("<b>第 1 题</b>") for p in parts] == [4, 4, 1]
    assert all(visible_length(p) <= 4096 for p in parts)
    assert pack_items(["短", "x" * 5000], limit=4096)[1:] == ["x" * 4096, "x" * 904]


def test_citations_are_grouped_per_statute_in_order() -> None:
    from bot.render import cite_groups
    from knowledge.loader import Citation

    cited = [("fsl", 126), ("sd-regulation", 64), ("fsl", 45), ("sd-regulation", 15), ("fsl", 45)]
    groups = cite_groups(Citation(source, article) for source, article in cited)
    assert [(s.key, articles) for s, articles in groups] == [
        ("sd-regulation", [15, 64]),
        ("fsl", [45, 126]),
    ]


def test_template_names_are_unique_across_feature_folders() -> None:
    """render() looks a name up in every folder, so one name must mean one file."""
    folders = [TEMPLATES, *(TEMPLATES / f for f in FEATURE_FOLDERS)]
    names = [p.name for folder in folders for p in folder.glob("*.html.j2")]
    assert len(names) == len(set(names))
    # console/ holds the web console's pages, rendered by its own environment (bot/console/web.py).
    folders_found = sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())
    assert folders_found == sorted([*FEATURE_FOLDERS, "console"])


def test_dates_are_shown_in_the_configured_time_zone() -> None:
    moment = datetime(2026, 2, 16, 16, 30, tzinfo=UTC)  # 正月初一 00:30 in Shanghai
    shown = environment().from_string("{{ t|cn_date }}")
    try:
        configure_timezone("Asia/Urumqi")  # UTC+6
        assert shown.render(t=moment) == "2026年2月16日 22:30"
    finally:
        configure_timezone("Asia/Shanghai")
    assert shown.render(t=moment) == "2026年2月17日 00:30"


@pytest.mark.parametrize(
    ("text", "blank"),
    [("", True), (None, True), (" \n\t\u3000", True), ("\u200b\ufeff ", True), (" 好 ", False)],
)
def test_is_blank_sees_what_telegram_would_show_as_nothing(text: str | None, blank: bool) -> None:
    assert is_blank(text) is blank
