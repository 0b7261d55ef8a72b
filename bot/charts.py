"""Bar charts as PNG with Chinese labels (the CJK font ships with the mplfonts package)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

__all__ = ["bar_chart"]


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
) -> bytes:
    """A horizontal bar chart, largest first as given; returns PNG bytes."""
    font = _font_name()
    import matplotlib.pyplot as plt

    height = max(2.5, 0.45 * len(labels) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height), dpi=110)
    try:
        positions = list(range(len(labels)))[::-1]
        bars = ax.barh(positions, values, color="#2e7d32")
        ax.set_yticks(positions, labels=labels, fontfamily=font)
        ax.set_title(title, fontfamily=font, fontsize=13)
        if xlabel:
            ax.set_xlabel(xlabel, fontfamily=font)
        top = max(values, default=0) or 1
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
        return buffer.getvalue()
    finally:
        plt.close(fig)
