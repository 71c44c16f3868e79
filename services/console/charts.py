"""Charts as SVG text, drawn on the server (pure: plain values in, a string out; no JavaScript, no chart library).

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states every value in words, so a
screen reader reads the numbers the eye reads; every value is also printed on its bar or point. The output depends
only on the arguments (ids come from ``chart_id``, numbers are formatted the same way every time), so a page renders
byte for byte the same for the same data and a test can compare text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

Number = Decimal | float | int

# One colour per series, in the order series are given: 网站, 栏目, 政务新媒体 (contrast ≥ 4.5:1 on white).
PALETTE = ("#1f5fa8", "#2e7d4f", "#b35c00", "#7b3fa0", "#a4262c")
FONT = "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif"
NO_DATA = "无数据"
VALUE_LINE = 12  # px between two value labels of one period


@dataclass(frozen=True)
class Series:
    """A named row of values, one per label or category; None where there is nothing to show (no target, no verdict)."""

    name: str
    values: Sequence[Number | None]


def percent(value: Number | None) -> str:
    """88.89 → 「88.89%」; None → 「无数据」. Two decimals, as the notices print rates."""
    if value is None:
        return NO_DATA
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}%"


def _n(value: float) -> str:
    """Coordinates with at most one decimal: stable text, small files."""
    text = f"{value:.1f}"
    return text.removesuffix(".0")


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 12, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}"{cls}>{escape(content)}</text>'


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    cid = escape(chart_id, quote=True)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" id="{cid}" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{FONT}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
        _text(8, 20, title, size=15, css="chart-title"),
    ]


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts: list[str] = []
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, y, s.name, css="legend"))
        x += 28 + 13 * len(s.name)
    return parts


def _describe(labels: Sequence[str], series: Sequence[Series]) -> str:
    """Every value in words: 「2022Q3：网站 72.73%，栏目 90.00%；…」."""
    rows = []
    for i, label in enumerate(labels):
        values = "，".join(f"{s.name} {percent(s.values[i] if i < len(s.values) else None)}" for s in series)
        rows.append(f"{label}：{values}")
    return "；".join(rows) + "。" if rows else "暂无数据。"


def bar_chart(
    chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series], *, width: int = 640
) -> str:
    """Horizontal grouped bars of rates (0–100 %): a row group per category, in the order given (administrative
    order for counties), a bar per series with its value printed after it; a missing value prints 「无数据」."""
    bar, gap, label_w, right = 16, 14, 110, 70
    top = 48
    group = bar * max(len(series), 1) + gap
    height = top + group * max(len(categories), 1) + 16
    plot = width - label_w - right
    parts = _open(chart_id, title, _describe(categories, series), width, height)
    parts += _legend(series, label_w, 40)
    for tick in (0, 50, 100):
        x = label_w + plot * tick / 100
        parts.append(
            f'<line x1="{_n(x)}" y1="{top - 4}" x2="{_n(x)}" y2="{height - 12}" stroke="#d0d4da" stroke-width="1"/>'
        )
    if not categories:
        parts.append(_text(label_w, top + 14, "暂无数据", css="empty"))
    for row, category in enumerate(categories):
        y0 = top + row * group
        parts.append(_text(label_w - 8, y0 + group / 2 + 2, category, anchor="end", css="category"))
        for i, s in enumerate(series):
            value = s.values[row] if row < len(s.values) else None
            y = y0 + i * bar
            length = plot * min(max(float(value), 0.0), 100.0) / 100 if value is not None else 0.0
            colour = PALETTE[i % len(PALETTE)]
            parts.append(
                f'<rect x="{label_w}" y="{_n(y + 1)}" width="{_n(length)}" height="{bar - 2}" fill="{colour}">'
                f"<title>{escape(f'{category} {s.name} {percent(value)}')}</title></rect>"
            )
            parts.append(_text(label_w + length + 4, y + bar - 4, percent(value), size=11, css="value"))
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *, width: int = 640, height: int = 260
) -> str:
    """Rates over periods (0–100 %): a line per series through its known values, each point with its value printed
    above it; a period without a value leaves a gap in its line."""
    left, right, top, bottom = 48, 24, 52, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels), 1)
    parts = _open(chart_id, title, _describe(labels, series), width, height)
    parts += _legend(series, left, 40)
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="#e3e6ea"/>')
        parts.append(_text(left - 6, y + 4, f"{tick}%", anchor="end", size=10, css="axis"))
    for i, label in enumerate(labels):
        parts.append(_text(left + step * (i + 0.5), height - 14, label, anchor="middle", css="period"))
    if not labels:
        parts.append(_text(left + 8, top + plot_h / 2, "暂无数据", css="empty"))
    labels_at: dict[float, list[tuple[float, str]]] = {}
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [
            (left + step * (i + 0.5), top + plot_h * (1 - min(max(float(v), 0.0), 100.0) / 100), v)
            for i, v in enumerate(s.values[: len(labels)])
            if v is not None
        ]
        for run in _runs(s.values[: len(labels)], points):
            path = " ".join(f"{_n(x)},{_n(y)}" for x, y, _ in run)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, v in points:
            parts.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}"><title>{escape(s.name)} '
                f"{escape(percent(v))}</title></circle>"
            )
            labels_at.setdefault(x, []).append((y, percent(v)))
    for x, found in labels_at.items():
        for y, text in _spread(found, VALUE_LINE):
            parts.append(_text(x + 8, y + 4, text, size=10, css="value"))
    parts.append("</svg>")
    return "\n".join(parts)


def _spread(found: list[tuple[float, str]], gap: float) -> list[tuple[float, str]]:
    """Value labels of one period, top to bottom, at least ``gap`` apart: close rates never print over each other."""
    placed: list[tuple[float, str]] = []
    for y, text in sorted(found):
        y = max(y, placed[-1][0] + gap) if placed else y
        placed.append((y, text))
    return placed


def _runs(
    values: Sequence[Number | None], points: list[tuple[float, float, Number]]
) -> list[list[tuple[float, float, Number]]]:
    """The points split where a value is missing, so a line never bridges a period without data."""
    runs: list[list[tuple[float, float, Number]]] = [[]]
    found = iter(points)
    for value in values:
        if value is None:
            runs.append([])
        else:
            runs[-1].append(next(found))
    return [run for run in runs if len(run) > 1]
