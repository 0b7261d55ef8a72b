"""Bar charts as PNG with Chinese labels (the CJK font ships with the mplfonts package)."""

from __future__ import annotations

import io
import json
import struct
import zlib
from functools import cache
from pathlib import Path

__all__ = ["AXIS_KEY", "bar_chart", "with_text"]

# Each PNG carries its value axis (a tEXt chunk), so a test or a reader can check the scale.
AXIS_KEY = "shian:axis"
_PNG_HEADER_END = 33  # 8-byte signature + the IHDR chunk (4 + 4 + 13 + 4)


def with_text(png: bytes, key: str, value: str) -> bytes:
    """The PNG with a tEXt chunk key=value (latin-1: pass JSON with ASCII escapes)."""
    data = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    return png[:_PNG_HEADER_END] + chunk + png[_PNG_HEADER_END:]


@cache
def _font_name() -> str:
    import matplotlib
    from matplotlib import font_manager

    matplotlib.use("Agg")
    import mplfonts

    font = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(font))
    return font_manager.FontProperties(fname=str(font)).get_name()


def bar_chart(
    title: str,
    labels: list[str],
    values: list[float],
    *,
    xlabel: str = "",
    value_format: str = "{:g}",
    percent: bool = False,
) -> bytes:
    """A horizontal bar chart, largest first as given; returns PNG bytes.

    percent: the values are 0-100 and the axis runs 0-100 %; otherwise they are counts and
    the axis has whole-number ticks only (no 0.5 of a vote).
    """
    font = _font_name()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    height = max(2.5, 0.45 * len(labels) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height), dpi=110)
    try:
        positions = list(range(len(labels)))[::-1]
        bars = ax.barh(positions, values, color="#2e7d32")
        ax.set_yticks(positions, labels=labels, fontfamily=font)
        ax.set_title(title, fontfamily=font, fontsize=13)
        if xlabel:
            ax.set_xlabel(xlabel, fontfamily=font)
        top = 100.0 if percent else float(max(values, default=0) or 1)
        ax.xaxis.set_major_locator(
            MultipleLocator(20) if percent else MaxNLocator(integer=True, min_n_ticks=1)
        )
        ax.set_xlim(0, top * 1.18)
        for bar, value in zip(bars, values, strict=True):
            ax.text(
                bar.get_width() + top * 0.01,
                bar.get_y() + bar.get_height() / 2,
                value_format.format(value),
                va="center",
                fontfamily=font,
                fontsize=9,
            )
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        ticks = [float(t) for t in ax.get_xticks() if 0 <= t <= top]
        return with_text(buffer.getvalue(), AXIS_KEY, json.dumps({"ticks": ticks}))
    finally:
        plt.close(fig)
