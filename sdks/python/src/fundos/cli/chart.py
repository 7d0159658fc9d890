"""The equity chart of a run: one line per account, as the change of its equity since the start
of the run in percent (so a fund of millions and an agent of thousands share one axis), with
axes, grid, tick labels and a legend giving each account's final change and equity. Drawn on a
:class:`fundos.cli.png.Canvas`, written as PNG.

The x axis is the step: curves are plotted against the rank of their time among all times in
the file, so nights and weekends leave no gaps; tick labels show the time (or the step number).
"""

from __future__ import annotations

import math
import time
from typing import Final

from fundos.cli.equity import EquityCurves, Series
from fundos.cli.png import Canvas, Color

WIDTH: Final = 960
HEIGHT: Final = 540
SCALE: Final = 2  # text scale: 10 x 14 pixel glyphs
BACKGROUND: Final[Color] = (255, 255, 255)
INK: Final[Color] = (40, 40, 40)
GRID: Final[Color] = (228, 228, 228)
ZERO: Final[Color] = (170, 170, 170)
FUND_COLOR: Final[Color] = (30, 30, 30)
PALETTE: Final[tuple[Color, ...]] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)


def nice_step(span: float, ticks: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that cuts ``span`` into about
    ``ticks`` parts.

    >>> nice_step(10.0, 5), nice_step(0.3, 6), nice_step(1234.0, 6)
    (2.0, 0.05, 250.0)
    """
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, ticks)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        if multiple * magnitude >= raw * (1 - 1e-9):
            return multiple * magnitude
    return 10.0 * magnitude


def tick_values(low: float, high: float, ticks: int = 6) -> list[float]:
    """Round values from ``low`` to ``high`` (both included when they are round)."""
    step = nice_step(high - low, ticks)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def decimals_for(step: float) -> int:
    """The fewest decimals that write every multiple of ``step`` exactly.

    >>> decimals_for(0.025), decimals_for(0.5), decimals_for(20.0)
    (3, 1, 0)
    """
    for decimals in range(7):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, abs(scaled)):
            return decimals
    return 6


def percent_changes(series: Series) -> list[tuple[float, float]]:
    """``(x, % change since the first non-zero equity)``; all 0 when the equity never leaves 0."""
    base = next((y for _, y in series.points if y != 0), 0.0)
    if base == 0:
        return [(x, 0.0) for x, _ in series.points]
    return [(x, (y - base) / base * 100.0) for x, y in series.points]


def _time_label(seconds: float, span: float) -> str:
    """A tick label (UTC) precise enough for a chart spanning ``span`` seconds."""
    moment = time.gmtime(seconds)
    if span >= 60 * 86_400:
        return time.strftime("%Y-%m-%d", moment)
    if span >= 86_400:
        return time.strftime("%m-%d %H:%M", moment)
    if span >= 3_600:
        return time.strftime("%H:%M", moment)
    return time.strftime("%H:%M:%S", moment)


def _envelope(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Fewer points with the same look: per pixel column its first, lowest, highest and last."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(points):
        column = points[i][0]
        j = i
        while j < len(points) and points[j][0] == column:
            j += 1
        ys = [y for _, y in points[i:j]]
        for y in (ys[0], min(ys), max(ys), ys[-1]):
            if not out or out[-1] != (column, y):
                out.append((column, y))
        i = j
    return out


def render_chart(curves: EquityCurves, title: str, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """The chart as PNG bytes."""
    canvas = Canvas(width, height, BACKGROUND)
    changes = [percent_changes(series) for series in curves.series]
    xs = sorted({x for points in changes for x, _ in points})
    rank = {x: index for index, x in enumerate(xs)}
    ys = [y for points in changes for _, y in points]
    low, high = min(ys + [0.0]), max(ys + [0.0])
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    pad = (high - low) * 0.05
    low, high = low - pad, high + pad
    y_ticks = tick_values(low, high)
    decimals = decimals_for(y_ticks[1] - y_ticks[0]) if len(y_ticks) > 1 else 1
    y_labels = [f"{value:+.{decimals}f}%" if value else "0%" for value in y_ticks]

    char_w, char_h = Canvas.text_size("0", SCALE)
    left = 16 + max(Canvas.text_size(label, SCALE)[0] for label in y_labels) + 8
    right, top, bottom = width - 24, 20 + char_h + 16, height - (char_h + 28)
    plot_w, plot_h = max(1, right - left), max(1, bottom - top)

    def px(x_rank: float) -> int:
        return left + round(x_rank / max(1, len(xs) - 1) * plot_w)

    def py(y: float) -> int:
        return bottom - round((y - low) / (high - low) * plot_h)

    canvas.text(16, 16, title, INK, SCALE)
    for value, label in zip(y_ticks, y_labels, strict=True):
        y = py(value)
        canvas.line(left, y, right, y, ZERO if value == 0 else GRID)
        label_w, _ = Canvas.text_size(label, SCALE)
        canvas.text(left - 8 - label_w, y - char_h // 2, label, INK, SCALE)
    if len(xs) > 1:
        step = max(1, round(nice_step(len(xs) - 1, 6)))
        span = xs[-1] - xs[0]
        last_label_end = -10**9
        for k in range(0, len(xs), step):
            x = px(k)
            canvas.line(x, top, x, bottom, GRID)
            label = _time_label(xs[k], span) if curves.x_is_time else f"{xs[k]:g}"
            label_w, _ = Canvas.text_size(label, SCALE)
            start = min(max(0, x - label_w // 2), width - label_w - 2)
            if start > last_label_end + char_w:
                canvas.text(start, bottom + 10, label, INK, SCALE)
                last_label_end = start + label_w
    canvas.line(left, top, left, bottom, INK)
    canvas.line(left, bottom, right, bottom, INK)

    colors: list[Color] = []
    agent_index = 0
    for series in curves.series:
        if series.name == "fund":
            colors.append(FUND_COLOR)
        else:
            colors.append(PALETTE[agent_index % len(PALETTE)])
            agent_index += 1
    for series, points, color in zip(curves.series, changes, colors, strict=True):
        pixels = [(px(rank[x]), py(y)) for x, y in points]
        if len(pixels) > 2 * plot_w:
            pixels = _envelope(pixels)
        canvas.polyline(pixels, color, 3 if series.name == "fund" else 2)

    entries = []
    for series, points in zip(curves.series, changes, strict=True):
        final_equity = series.points[-1][1]
        entries.append(f"{series.name}  {points[-1][1]:+.2f}%  {final_equity:,.0f}")
    if entries:
        box_w = max(Canvas.text_size(entry, SCALE)[0] for entry in entries) + 3 * char_w + 20
        line_h = char_h + 8
        box_x, box_y = left + 12, top + 12
        canvas.fill_rect(box_x, box_y, box_x + box_w, box_y + line_h * len(entries) + 8, BACKGROUND)
        for edge in ((box_x, box_y, box_x + box_w, box_y), (box_x, box_y, box_x, box_y + line_h * len(entries) + 8),
                     (box_x + box_w, box_y, box_x + box_w, box_y + line_h * len(entries) + 8),
                     (box_x, box_y + line_h * len(entries) + 8, box_x + box_w, box_y + line_h * len(entries) + 8)):
            canvas.line(*edge, GRID)
        for index, (entry, color) in enumerate(zip(entries, colors, strict=True)):
            y = box_y + 8 + index * line_h
            canvas.fill_rect(box_x + 8, y + char_h // 2 - 1, box_x + 8 + 2 * char_w, y + char_h // 2 + 1, color)
            canvas.text(box_x + 12 + 3 * char_w, y, entry, INK, SCALE)
    return canvas.to_png()
