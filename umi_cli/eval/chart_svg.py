"""Comparisons as a grouped bar chart in SVG, written with the standard library only.

One panel per benchmark, stacked: a group of bars per metric, one bar per system (ours in solid
colours, the paper or leaderboard rows hatched grey), the value on each bar, a 0-100 % axis
with grid lines, and a legend. Everything is plain text, so the file is readable in a browser,
an editor and a diff.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from umi_cli.eval.compare import Comparison

OURS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#db2777")
REFERENCE = ("#6b7280", "#a8a29e", "#475569", "#9ca3af", "#78716c", "#64748b")
FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"

BAR = 30  # bar width
BAR_GAP = 3
GROUP_GAP = 28
PLOT_HEIGHT = 240
LEFT = 56  # room for the axis labels
RIGHT = 24
MIN_WIDTH = 640
CHAR = 6.6  # average width of a 11px character, for layout


@dataclass(frozen=True)
class Series:
    """One bar colour: a system, or a reference row (hatched)."""

    label: str
    values: dict[str, float | None]
    colour: str
    pattern: str = ""  # the hatch pattern's id (reference rows only)

    @property
    def fill(self) -> str:
        return f"url(#{self.pattern})" if self.pattern else self.colour


def series_of(table: Comparison, prefix: str = "") -> list[Series]:
    """Our systems, then the reference rows (``prefix`` keeps pattern ids unique per panel)."""
    ours = [
        Series(label, values, OURS[n % len(OURS)])
        for n, (label, values) in enumerate(table.rows.items())
    ]
    theirs = [
        Series(label, values, REFERENCE[n % len(REFERENCE)], f"{prefix}hatch-{n}")
        for n, (label, values) in enumerate(table.reference.items())
    ]
    return ours + theirs


def axis_top(values: Sequence[float]) -> float:
    """100 for percentages; a round number above the largest value otherwise."""
    largest = max(values, default=0.0)
    if largest <= 100:
        return 100.0
    step = 10 ** math.floor(math.log10(largest))
    return math.ceil(largest / step) * step


def _text(x: float, y: float, body: str, **attrs: str | float) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(body)}</text>'


def _legend(series: list[Series], kind: str, width: float, top: float) -> tuple[list[str], float]:
    """Legend entries laid out in rows across ``width``; returns the elements and the height."""
    parts: list[str] = []
    x, y = float(LEFT), top
    for item in series:
        marked = item.pattern and kind not in item.label
        label = item.label + (f" ({kind})" if marked else "")
        entry = 18 + len(label) * CHAR + 18
        if x + entry > width - RIGHT and x > LEFT:
            x, y = LEFT, y + 20
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" '
                     f'fill="{item.fill}"/>')  # fmt: skip
        parts.append(_text(x + 18, y, label, font_size=11, fill="#111827"))
        x += entry
    return parts, y - top + 20


def _patterns(series: list[Series]) -> list[str]:
    return [
        f'<pattern id="{item.pattern}" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{item.colour}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2" '
        'stroke-opacity="0.55"/></pattern>'
        for item in series
        if item.pattern
    ]


def shown(series: list[Series], key: str) -> list[Series]:
    """The bars of one metric's group: every system of ours (a missing value is marked), and
    the reference rows that report this metric."""
    return [item for item in series if not item.pattern or item.values.get(key) is not None]


def _bars_width(bars: int) -> float:
    return bars * (BAR + BAR_GAP) - BAR_GAP


def _group_width(bars: int, label: str) -> float:
    """A group's room: its bars or its label (12px bold), whichever is wider, and the gap."""
    return max(_bars_width(bars), len(label) * 7.5) + GROUP_GAP


def panel_width(series: list[Series], table: Comparison) -> float:
    """How wide one benchmark's chart is: its groups, at least :data:`MIN_WIDTH`."""
    groups = sum(_group_width(len(shown(series, m.key)), m.label) for m in table.metrics)
    return max(MIN_WIDTH, LEFT + RIGHT + groups)


def _axis(plot_top: float, right: float, highest: float) -> list[str]:
    """Grid lines with their values, and the unit."""
    base = plot_top + PLOT_HEIGHT
    parts = []
    for tick in range(6):
        level = tick * highest / 5
        y = base - PLOT_HEIGHT * level / highest
        colour = "#9ca3af" if tick == 0 else "#e5e7eb"
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
                     f'stroke="{colour}" stroke-width="1"/>')  # fmt: skip
        parts.append(_text(LEFT - 8, y + 4, f"{level:g}", font_size=11, fill="#4b5563",
                           text_anchor="end"))  # fmt: skip
    unit = "%" if highest == 100 else ""
    parts.append(_text(14, plot_top + PLOT_HEIGHT / 2, unit, font_size=12, fill="#4b5563",
                       text_anchor="middle"))  # fmt: skip
    return parts


def _bar(item: Series, label: str, value: float | None, left: float, base: float,
         highest: float) -> list[str]:  # fmt: skip
    """One bar with its value above it; "–" on the axis when there is no value."""
    middle = left + BAR / 2
    if value is None:
        return [_text(middle, base - 4, "–", font_size=10, fill="#9ca3af", text_anchor="middle")]
    height = max(PLOT_HEIGHT * min(value, highest) / highest, 0.0)
    tip = escape(f"{item.label} · {label}: {value:.2f}")
    return [
        f'<rect x="{left:.1f}" y="{base - height:.1f}" width="{BAR}" height="{height:.1f}" '
        f'fill="{item.fill}"><title>{tip}</title></rect>',
        _text(middle, base - height - 4, f"{value:.1f}", font_size=10, fill="#111827",
              text_anchor="middle"),
    ]  # fmt: skip


def panel(series: list[Series], table: Comparison, top: float) -> tuple[list[str], float]:
    """One benchmark's chart starting at ``top``; returns its elements and its height."""
    width = panel_width(series, table)
    parts = [_text(LEFT, top + 18, table.title, font_size=15, font_weight="600", fill="#111827")]
    legend, legend_height = _legend(series, table.reference_kind, width, top + 42)
    parts += legend
    plot_top = top + 42 + legend_height + 14
    base = plot_top + PLOT_HEIGHT
    highest = axis_top([v for s in series for v in s.values.values() if v is not None])
    parts += _axis(plot_top, width - RIGHT, highest)
    x = LEFT + GROUP_GAP / 2
    for metric in table.metrics:
        bars = shown(series, metric.key)
        room = _group_width(len(bars), metric.label) - GROUP_GAP
        start = x + (room - _bars_width(len(bars))) / 2
        for n, item in enumerate(bars):
            left = start + n * (BAR + BAR_GAP)
            parts += _bar(item, metric.label, item.values.get(metric.key), left, base, highest)
        parts.append(_text(x + room / 2, base + 18, metric.label, font_size=12,
                           font_weight="600", fill="#111827", text_anchor="middle"))  # fmt: skip
        x += room + GROUP_GAP
    y = base + 40
    for note in table.notes:
        for line in textwrap.wrap(note, max(int((width - LEFT - RIGHT) / 6), 40)):
            parts.append(_text(LEFT, y, line, font_size=10, fill="#6b7280"))
            y += 14
    return parts, y - top + 10


def render_svg(tables: Sequence[Comparison]) -> str:
    """The SVG document for ``tables``, stacked top to bottom."""
    panels = [series_of(table, prefix=f"p{n}-") for n, table in enumerate(tables)]
    width = max(
        (panel_width(series, table) for series, table in zip(panels, tables, strict=True)),
        default=MIN_WIDTH,
    )
    body: list[str] = []
    patterns: list[str] = []
    top = 12.0
    for series, table in zip(panels, tables, strict=True):
        parts, height = panel(series, table, top)
        body += [f"<g id={quoteattr(table.benchmark)}>", *parts, "</g>"]
        patterns += _patterns(series)
        top += height + 16
    title = "umi eval compare: " + ", ".join(table.title for table in tables)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{top:.0f}" '
        f'viewBox="0 0 {width:.0f} {top:.0f}" role="img" font-family="{FONT}">',
        f"<title>{escape(title)}</title>",
        "<defs>", *patterns, "</defs>",
        f'<rect width="{width:.0f}" height="{top:.0f}" fill="#ffffff"/>',
        *body,
        "</svg>",
        "",
    ])  # fmt: skip
