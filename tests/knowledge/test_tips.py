from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.tips import MAX_TIP, load_tips
from tests.knowledge.helpers import problems, write

GOOD = """\
occasion: spring_festival
name: 春节<&>
title: "{{ year }}年{{ occasion }}食品安全消费提示"
body: |
  {{ date.month }}月{{ date.day }}日是<b>{{ occasion }}</b>，<i>年货</i>请到正规超市购买。
"""


def test_a_valid_tip_renders_year_date_and_escaped_name(scratch: Path) -> None:
    write(scratch / "tips" / "spring_festival.yaml", GOOD)
    [(key, tip)] = load_tips(scratch / "tips").items()
    assert (key, tip.name, tip.audience, tip.file) == (
        "spring_festival",
        "春节<&>",
        ("consumer",),
        "spring_festival.yaml",
    )
    title, body = tip.render(year=2035, day=date(2035, 2, 8))
    assert title == "2035年春节&lt;&amp;&gt;食品安全消费提示"
    assert body == "2月8日是<b>春节&lt;&amp;&gt;</b>，<i>年货</i>请到正规超市购买。"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "spring_festival.yaml",
            GOOD.replace("{{ year }}", "{{ yaer }}"),
            "tips/spring_festival.yaml:1: 模板错误：'yaer' is undefined",
        ),
        (
            "spring_festival.yaml",
            GOOD.replace("<i>年货</i>", "<script>alert(1)</script>"),
            "tips/spring_festival.yaml:1: 只能用 <b> 和 <i> 标签：<script>",
        ),
        (
            "spring_festival.yaml",
            GOOD.replace("<i>年货</i>", '<a href="https://example.com">年货</a>'),
            'tips/spring_festival.yaml:1: 只能用 <b> 和 <i> 标签：<a href="https://example.com">',
        ),
        (
            "easter.yaml",
            GOOD.replace("spring_festival", "easter"),
            "tips/easter.yaml:1: occasion 'easter' 应为 easter，且是已知节日",
        ),
        (
            "lantern.yaml",
            GOOD,
            "tips/lantern.yaml:1: occasion 'spring_festival' 应为 lantern，且是已知节日",
        ),
        (
            "spring_festival.yaml",
            GOOD.split("body:")[0],
            "tips/spring_festival.yaml:1: title 和 body 都不能为空",
        ),
        (
            "spring_festival.yaml",
            GOOD.split("body:")[0] + "body: " + "字" * (MAX_TIP + 1),
            "tips/spring_festival.yaml:1: 正文 3501 字，超过 3500 字",
        ),
        (
            "spring_festival.yaml",
            "- 春节\n",
            "tips/spring_festival.yaml:1: 提示文件应为映射（occasion、name、title、body）",
        ),
    ],
    ids=[
        "undefined-variable",
        "script-tag",
        "link-tag",
        "unknown-occasion",
        "file-name-mismatch",
        "no-body",
        "too-long",
        "not-a-mapping",
    ],
)
def test_a_bad_tip_fails_naming_its_file(
    scratch: Path, name: str, text: str, expected: str
) -> None:
    write(scratch / "tips" / name, text)
    assert problems(load_tips, scratch / "tips") == [expected]


def test_a_body_of_exactly_the_limit_loads(scratch: Path) -> None:
    write(
        scratch / "tips" / "lantern.yaml",
        "occasion: lantern\ntitle: 元宵\nbody: " + "字" * MAX_TIP,
    )
    assert load_tips(scratch / "tips")["lantern"].name == "lantern"


def test_a_template_syntax_error_names_the_file(scratch: Path) -> None:
    write(
        scratch / "tips" / "lantern.yaml",
        GOOD.replace("spring_festival", "lantern") + "  {% if year %}\n",
    )
    write(scratch / "tips" / "spring_festival.yaml", GOOD)
    [problem] = problems(load_tips, scratch / "tips")
    # The line is not asserted: it is the mapping's line plus the template's, not the file's.
    assert problem.startswith("tips/lantern.yaml:")
    assert ": 模板错误：Unexpected end of template." in problem


def test_the_sandbox_refuses_private_attributes(scratch: Path) -> None:
    sneaky = GOOD.replace("{{ date.month }}", "{{ date.__class__.__mro__ }}")
    write(scratch / "tips" / "spring_festival.yaml", sneaky)
    [problem] = problems(load_tips, scratch / "tips")
    assert problem.startswith("tips/spring_festival.yaml:1: 模板错误：")
