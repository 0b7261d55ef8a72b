"""Chinese text as users read it: article numbers in Chinese numerals (第六十三条, as the
statutes print them), Chinese quotes (“”), and no ASCII space between Chinese sentences (a
folded YAML block leaves one at every line break).

tidy() is applied where the knowledge base is loaded, so every answer reads the same whatever
the author typed; tests/knowledge/test_wording.py scans what is loaded and the templates.
"""

from __future__ import annotations

import re

__all__ = ["chinese_number", "tidy"]

_DIGITS = "零一二三四五六七八九"
_CJK = "\u4e00-\u9fff"
# Fullwidth punctuation that ends or separates a Chinese clause, and what may open the next one.
_CLOSE = "。！？；：，、）》”’】"
_OPEN = "（《“‘【①-⑳"
_SPACE = re.compile(f"(?<=[{_CJK}{_CLOSE}]) +(?=[{_CJK}{_OPEN}])")
_NUMBER = r"\d+(?:[-–~至]\d+)?"
_ARTICLE = re.compile(rf"第({_NUMBER}(?:[、，,]{_NUMBER})*)([条款项])")
_QUOTED = re.compile(r'"([^"\n]*)"')


def chinese_number(n: int) -> str:
    """1 -> 一, 15 -> 十五, 126 -> 一百二十六 (article numbering as the statutes print it)."""
    if n < 0:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return _DIGITS[hundreds] + "百"
    if rest < 10:
        return _DIGITS[hundreds] + "百零" + _DIGITS[rest]
    tens = chinese_number(rest)
    return _DIGITS[hundreds] + "百" + ("一" + tens if rest < 20 else tens)


def _articles(match: re.Match[str]) -> str:
    """第63、102-108条 -> 第六十三条、第一百零二条至第一百零八条."""
    unit = match.group(2)
    parts = []
    for token in re.split(r"[、，,]", match.group(1)):
        ends = re.split(r"[-–~至]", token)
        parts.append("至".join(f"第{chinese_number(int(n))}{unit}" for n in ends))
    return "、".join(parts)


def tidy(text: str) -> str:
    """Chinese numerals in article numbers, Chinese quotes, no ASCII space between sentences."""
    text = _ARTICLE.sub(_articles, text)
    if text.count('"') % 2 == 0:
        text = _QUOTED.sub(lambda m: f"“{m.group(1)}”", text)
    return _SPACE.sub("", text)
