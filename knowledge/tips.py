"""Holiday consumer tips: jinja2 templates per occasion, validated when loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from knowledge.vocab import DATA_DIR
from knowledge.yamlfile import Problems, line_of, load_with_lines

__all__ = ["MAX_TIP", "OCCASION_KEYS", "Tip", "load_tips"]

MAX_TIP = 3500
# The occasions the calendar knows (scheduler/calendar.py) plus admin-defined "custom".
OCCASION_KEYS = (
    "new_year", "spring_festival_eve", "spring_festival", "lantern", "consumer_day",
    "qingming", "labour_day", "dragon_boat", "spring_school", "autumn_school",
    "mid_autumn", "national_day", "food_safety_week",
)  # fmt: skip
_ALLOWED_TAGS = re.compile(r"</?(?!(?:b|i)>)[a-zA-Z][^>]*>")
_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


@dataclass(frozen=True)
class Tip:
    """One occasion's tip; render() fills in the year and the festival date."""

    occasion: str
    name: str
    audience: tuple[str, ...]
    title_template: Template
    body_template: Template
    file: str

    def render(self, *, year: int, day: date) -> tuple[str, str]:
        """(title, body) as Telegram HTML."""
        context = {"year": year, "date": day, "occasion": self.name}
        return self.title_template.render(context), self.body_template.render(context)


def load_tips(directory: Path | None = None) -> dict[str, Tip]:
    """Every tips/*.yaml, rendered once with a sample date; DataError names file and line."""
    folder = directory or DATA_DIR / "tips"
    problems = Problems()
    tips: dict[str, Tip] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = load_with_lines(path, problems)
        if data is None:
            continue
        line = line_of(data) or 1
        if not isinstance(data, dict):
            problems.add(path, 1, "提示文件应为映射（occasion、name、title、body）")
            continue
        occasion = data.get("occasion")
        if occasion not in OCCASION_KEYS or path.stem != occasion:
            problems.add(path, line, f"occasion {occasion!r} 应为 {path.stem}，且是已知节日")
            continue
        try:
            title = _ENV.from_string(str(data.get("title") or ""))
            body = _ENV.from_string(str(data.get("body") or ""))
            tip = Tip(
                occasion,
                str(data.get("name") or occasion),
                tuple(data.get("audience") or ("consumer",)),
                title,
                body,
                path.name,
            )
            rendered_title, rendered = tip.render(year=2026, day=date(2026, 2, 17))
        except TemplateError as exc:
            where = getattr(exc, "lineno", None)
            problems.add(path, (line + where) if where else line, f"模板错误：{exc}")
            continue
        if not rendered_title.strip() or not rendered.strip():
            problems.add(path, line, "title 和 body 都不能为空")
        elif len(rendered) > MAX_TIP:
            problems.add(path, line, f"正文 {len(rendered)} 字，超过 {MAX_TIP} 字")
        elif bad := _ALLOWED_TAGS.search(rendered):
            problems.add(path, line, f"只能用 <b> 和 <i> 标签：{bad.group(0)}")
        else:
            tips[occasion] = tip
    problems.raise_if_any()
    return tips
