"""统一社会信用代码 (GB 32100-2015, with its check character) and food licence numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CodeCheck", "check_code", "credit_check_char"]

# GB 32100: 31 characters, without I, O, Z, S, V.
_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LICENCE = re.compile(r"^(JY|SC)\d{14}$")


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """A checked code: which kind it is, its normalised form, or why it was refused."""

    kind: str | None  # credit | licence | None when refused
    value: str
    error: str = ""


def credit_check_char(first17: str) -> str:
    """The 18th character GB 32100 computes from the first 17."""
    total = sum(_CHARSET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHARSET[(31 - total % 31) % 31]


def check_code(raw: str) -> CodeCheck:
    """Accept an 18-character credit code or a JY/SC licence number; explain a refusal."""
    value = re.sub(r"[\s-]", "", raw).upper()
    if _LICENCE.match(value):
        return CodeCheck("licence", value)
    if value[:2] in ("JY", "SC") and len(value) != 18:
        return CodeCheck(None, value, "许可证编号应为 JY 或 SC 加 14 位数字")
    if len(value) != 18:
        return CodeCheck(
            None,
            value,
            f"统一社会信用代码应为 18 位（现在是 {len(value)} 位）；"
            "也可以填许可证编号（JY 或 SC 加 14 位数字）",
        )
    bad = [c for c in value if c not in _CHARSET]
    if bad:
        return CodeCheck(
            None, value, f"统一社会信用代码里不能有“{bad[0]}”（不用字母 I、O、Z、S、V）"
        )
    if credit_check_char(value[:17]) != value[17]:
        return CodeCheck(None, value, "统一社会信用代码的最后一位校验码不对，请核对营业执照")
    return CodeCheck("credit", value)
