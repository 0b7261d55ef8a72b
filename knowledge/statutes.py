"""Parse an official statute text (markdown or plain) into numbered articles.

Real files carry noise: one or two YAML front matters, a table of contents, chapter and
section headings, list markup, items joined on one line, and cross-references that were
turned into headings ("### **第一百二十六条**" inside another article). An article heading
is accepted only when it continues the numbering (n + 1), so a cross-reference can never
start a fake article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from knowledge.vocab import sources

__all__ = ["NotAStatute", "ParsedStatute", "cn_to_int", "parse_statute", "parse_statute_file"]


class NotAStatute(ValueError):
    """The file has no statute header and no article: a README or notes, not a law text."""


_CN = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"[零〇一二两三四五六七八九十百千\d]+"
_ARTICLE = re.compile(
    rf"^[\s>*#\-]*(?:\*\*)?\s*第({_NUM})条(?:\*\*)?(?:[\s\u3000]+|$|(?=[^\s\u3000]))(.*)$"
)
_CHAPTER = re.compile(rf"^[\s#>*\-]*(?:\*\*)?\s*第({_NUM})[章节]")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日起?施行")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def cn_to_int(text: str) -> int:
    """一百二十六 -> 126, 十五 -> 15, 73 -> 73."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _CN:
            current = _CN[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            raise ValueError(text)
    return total + current


@dataclass
class ParsedStatute:
    """What the importer stores: identity, version and the articles in order."""

    source_key: str
    title: str
    version: str
    effective: date | None
    articles: dict[int, str] = field(default_factory=dict)
    chapters: dict[int, str] = field(default_factory=dict)
    declared_count: int | None = None


def _header_lines(block: str) -> dict[str, object]:
    header: dict[str, object] = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()):
            value = value.strip().strip('"')
            header[key.strip()] = int(value) if value.isdigit() else value
    return header


def _plain_title(title: str) -> str:
    """Drop a trailing note such as （2019年修订）; keep an ordinal such as （一）."""
    match = re.fullmatch(r"(.+?)[（(]([^（()）]*)[）)]\s*", title.strip())
    if match and not re.fullmatch(r"[一二三四五六七八九十]+", match.group(2)):
        return match.group(1).strip()
    return title.strip()


def _front_matters(text: str) -> tuple[list[dict[str, object]], str]:
    headers: list[dict[str, object]] = []
    rest = text.lstrip("\ufeff")
    while rest.lstrip().startswith("---"):
        body = rest.lstrip()[3:]
        end = body.find("\n---")
        if end < 0:
            break
        try:
            parsed = yaml.safe_load(body[:end])
        except yaml.YAMLError:
            # Hand-written headers are "key: value" lines whose values may hold ": " (not YAML).
            parsed = _header_lines(body[:end])
        if isinstance(parsed, dict):
            headers.append(parsed)
        rest = body[end + 4 :]
    return headers, rest


def _clean(line: str) -> str:
    line = re.sub(r"^\s*(?:[-*>#]+\s*)+", "", line)
    line = line.replace("**", "").replace("\u3000", " ")
    return line.strip()


def _identify(path_name: str, title: str) -> tuple[str, date | None]:
    for key, source in sources().items():
        if source.file == path_name:
            return key, source.effective
    base = title.split("（")[0].split("(")[0].strip()
    for key, source in sources().items():
        if base == source.title:
            return key, None  # the date comes from the text: this may be another version
    return re.sub(r"[^a-z0-9]+", "-", Path(path_name).stem.lower()).strip("-") or "statute", None


def _continues(previous: str) -> bool:
    # The line after a swallowed cross-reference heading continues that sentence.
    return bool(re.search(rf"第{_NUM}条$", previous))


def parse_statute(text: str, *, file_name: str = "") -> ParsedStatute:
    """Parse the text of one statute; raises ValueError when no article is found.

    NotAStatute (a ValueError) when the file has neither a header title nor any article.
    """
    headers, body = _front_matters(text)
    title = next((str(h["title"]) for h in headers if h.get("title")), "")
    if not title:
        first = next((_clean(line) for line in body.splitlines() if _clean(line)), "")
        title = first.strip("《》 ")
    declared = next((h.get("article_count") for h in headers if h.get("article_count")), None)
    key, effective = _identify(file_name, title)
    articles: dict[int, str] = {}
    chapters: dict[int, str] = {}
    current: int | None = None
    chapter = ""
    lines_of: dict[int, list[str]] = {}
    for raw in body.splitlines():
        line = _clean(raw)
        if not line or re.fullmatch(r"-{3,}|\*{3,}", raw.strip()):
            continue
        if line.startswith(("原文链接", "来源：", "来源:")):
            break
        if _CHAPTER.match(raw) and not _ARTICLE.match(raw):
            chapter = line
            continue
        match = _ARTICLE.match(raw)
        if match:
            try:
                number = cn_to_int(match.group(1))
            except ValueError:
                number = -1
            expected = (current or 0) + 1
            if number == expected:
                current = number
                chapters[number] = chapter
                lines_of[number] = [_clean(match.group(2))] if match.group(2).strip() else []
                continue
        if current is None:
            continue
        body_lines = lines_of[current]
        if match and body_lines and not body_lines[-1].endswith(("。", "：", "；", ":", ";")):
            # A cross-reference that the source turned into a heading: it continues the
            # sentence before it ("依照食品安全法" + "第一百二十六条" + "第一款的规定").
            body_lines[-1] += line
        elif match is None and body_lines and _continues(body_lines[-1]):
            body_lines[-1] += line
        else:
            body_lines.append(line)
    for number, lines in lines_of.items():
        articles[number] = "\n".join(p for p in lines if p).strip()
    if not articles:
        if not any(h.get("title") for h in headers):
            raise NotAStatute(f"{file_name or '文本'}：不是法规文本（没有标题头，也没有“第X条”）")
        raise ValueError(f"{file_name or '文本'}：没有找到任何“第X条”")
    if effective is None:
        found = _DATE.findall(text)
        if found:
            y, m, d = found[-1]
            effective = date(int(y), int(m), int(d))
    version = f"{effective.isoformat()}施行版" if effective else "未注明施行日期"
    return ParsedStatute(
        source_key=key,
        title=_plain_title(title) or title,
        version=version,
        effective=effective,
        articles=articles,
        chapters=chapters,
        declared_count=int(declared)
        if isinstance(declared, int | str) and str(declared).isdigit()
        else None,
    )


def parse_statute_file(path: Path) -> ParsedStatute:
    """Read and parse one file."""
    return parse_statute(path.read_text(encoding="utf-8"), file_name=path.name)
