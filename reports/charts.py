"""PNG charts for the weekly trend summary (matplotlib, Agg backend, never opens a window).

Every function builds its own :class:`matplotlib.figure.Figure` (not registered with pyplot, so no
global figure state and no "too many open figures" warning), renders it to PNG bytes at a fixed
800x400 px (8x4 in at 100 dpi; no ``bbox_inches="tight"``, so the size never depends on the labels)
and releases it. Text uses DejaVu Sans (shipped with matplotlib), which covers Vietnamese diacritics.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Mapping, Sequence

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

matplotlib.use("Agg")  # headless; must be selected before anything imports matplotlib.pyplot

__all__ = ["FIG_DPI", "FIG_SIZE_IN", "MAX_SERIES", "bar_chart", "png_data_uri", "volume_chart"]

FIG_SIZE_IN = (8.0, 4.0)
FIG_DPI = 100
MAX_SERIES = 8
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
}
# Fixed colour cycle (tab10 minus grey), so a key keeps its colour between runs with the same order.
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22"]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _new_figure() -> Figure:
    return Figure(figsize=FIG_SIZE_IN, dpi=FIG_DPI)


def _render(fig: Figure) -> bytes:
    buf = io.BytesIO()
    try:
        # Fixed metadata: no version string, so bytes only change when the picture does.
        fig.savefig(buf, format="png", dpi=FIG_DPI, metadata={"Software": None})
    finally:
        fig.clear()
    return buf.getvalue()


def _empty(ax: Axes, message: str = "Không có dữ liệu") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=12, color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def volume_chart(days: Sequence[dt.date], series: Mapping[str, Sequence[int]], title: str) -> bytes:
    """Daily volume lines, one per key; returns PNG bytes (800x400 px).

    Args:
        days: the x axis, one ``datetime.date`` per point, oldest first (shown as dd/mm).
        series: ``{key: [count per day]}``, each list as long as ``days`` (documents per day). At most
            ``MAX_SERIES`` (8) keys are drawn: the ones with the largest total, ties by key; the legend
            says how many were left out.
        title: chart title (Vietnamese is fine).

    Raises:
        ValueError: a series whose length differs from ``days``.
    """
    for key, values in series.items():
        if len(values) != len(days):
            raise ValueError(f"series {key!r} has {len(values)} points for {len(days)} days")
    keys = sorted(series, key=lambda k: (-sum(series[k]), str(k)))
    shown, hidden = keys[:MAX_SERIES], len(keys) - MAX_SERIES
    with matplotlib.rc_context(_RC):
        fig = _new_figure()
        fig.subplots_adjust(left=0.08, right=0.72, top=0.88, bottom=0.14)
        ax = fig.add_subplot()
        ax.set_title(_shorten(title, 80), fontsize=12)
        if not days or not shown:
            _empty(ax)
        else:
            x = list(range(len(days)))
            for i, key in enumerate(shown):
                ax.plot(x, list(series[key]), color=_COLORS[i], linewidth=1.8, marker="o", markersize=3,
                        label=_shorten(key, 24))
            step = max(1, -(-len(days) // 10))  # at most ~10 tick labels
            ticks = x[::step]
            ax.set_xticks(ticks, [days[i].strftime("%d/%m") for i in ticks])
            ax.set_xlim(-0.5, len(days) - 0.5)
            ax.set_ylim(bottom=0)
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.set_xlabel("Ngày", fontsize=9)
            ax.set_ylabel("Số bài", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(axis="y", alpha=0.3)
            handles, labels = ax.get_legend_handles_labels()
            if hidden > 0:
                handles.append(Line2D([], [], color="none"))
                labels.append(f"(+{hidden} mục khác)")
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        return _render(fig)


def bar_chart(
    labels: Sequence[str],
    current: Sequence[int],
    previous: Sequence[float],
    title: str,
    current_label: str = "Tuần này",
    previous_label: str = "Trung bình 4 tuần trước",
) -> bytes:
    """Horizontal grouped bars (current vs. previous per label); returns PNG bytes (800x400 px).

    Args:
        labels: category names, drawn top to bottom in the given order (long names are shortened).
            Readable up to ~15 labels at this size.
        current: this period's counts, one per label.
        previous: the comparison values (e.g. mean of the 4 previous weeks; may be fractional).
        title: chart title.
        current_label, previous_label: legend entries.

    Raises:
        ValueError: ``labels``, ``current`` and ``previous`` differ in length.
    """
    if not (len(labels) == len(current) == len(previous)):
        raise ValueError(f"lengths differ: {len(labels)} labels, {len(current)} current, {len(previous)} previous")
    n = len(labels)
    with matplotlib.rc_context(_RC):
        fig = _new_figure()
        fig.subplots_adjust(left=0.31, right=0.96, top=0.88, bottom=0.10)
        ax = fig.add_subplot()
        ax.set_title(_shorten(title, 80), fontsize=12)
        if n == 0:
            _empty(ax)
        else:
            height = 0.38
            y = list(range(n))
            bars = ax.barh([i - height / 2 for i in y], list(current), height=height, color=_COLORS[0],
                           label=current_label)
            ax.barh([i + height / 2 for i in y], list(previous), height=height, color="#aec7e8",
                    label=previous_label)
            ax.bar_label(bars, fmt="%d", padding=2, fontsize=7)
            fontsize = 8 if n <= 15 else 6
            ax.set_yticks(y, [_shorten(lbl, 34) for lbl in labels], fontsize=fontsize)
            ax.invert_yaxis()
            top = max([*current, *previous, 0])
            ax.set_xlim(0, top * 1.12 if top > 0 else 1)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.set_xlabel("Số bài", fontsize=9)
            ax.tick_params(axis="x", labelsize=8)
            ax.grid(axis="x", alpha=0.3)
            ax.legend(loc="lower right", fontsize=8)
        return _render(fig)


def png_data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for embedding PNG bytes in HTML e-mail or reports.

    Raises:
        ValueError: ``png`` does not start with the PNG signature.
    """
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not PNG data")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
