"""A measure's trend as a small SVG drawn on the server: the same picture in a web document and its PDF, with no
script. Values are a line with dots, the target a dashed step line; questionable values are left out (the
text beside the chart says so)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from dashboard.figures import INK, NAVY, TARGET, Point
from metrics.formatting import format_value
from metrics.spec import FormatType

WIDTH, HEIGHT = 640, 214
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 14, 48


def trend_svg(points: Sequence[Point], fmt: FormatType | None, unit: str | None, summary: str) -> str:
    """The chart, labelled for screen readers by ``summary`` (its text alternative)."""
    used = [(i, p.value) for i, p in enumerate(points) if p.value is not None and not p.held_out]
    targets = [(i, p.target) for i, p in enumerate(points) if p.target is not None]
    known = [v for _, v in used] + [t for _, t in targets]
    label = html.escape(summary, quote=True)
    if not points or not known:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" width="{WIDTH}" '
                f'height="40"><text x="0" y="24" fill="{INK}" font-size="13">No usable values.</text></svg>')
    low, high = min(0.0, *known), max(known)
    span = (high - low) or 1.0
    step = (WIDTH - LEFT - RIGHT) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step if len(points) > 1 else (LEFT + WIDTH - RIGHT) / 2

    def y(v: float) -> float:
        return TOP + (high - v) / span * (HEIGHT - TOP - BOTTOM)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" width="{WIDTH}" '
             f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, sans-serif" font-size="11">',
             f'<line x1="{LEFT}" y1="{y(low):.1f}" x2="{WIDTH - RIGHT}" y2="{y(low):.1f}" stroke="#8c959f"/>']
    for value in (low, high):
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="{INK}">'
                     f'{html.escape(format_value(value, fmt, unit))}</text>')
    if targets:
        path = " ".join(f"{x(i) - step / 2 if n else x(i):.1f},{y(t):.1f} {x(i) + step / 2:.1f},{y(t):.1f}"
                        for n, (i, t) in enumerate(targets))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{TARGET}" stroke-width="2" '
                     'stroke-dasharray="6 4"/>')
    if used:
        parts.append(f'<polyline points="{" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in used)}" fill="none" '
                     f'stroke="{NAVY}" stroke-width="2.5"/>')
        parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{NAVY}"/>' for i, v in used]
    every = max(1, len(points) // 6)
    last = len(points) - 1
    for i, point in enumerate(points):
        if i == last or (i % every == 0 and last - i >= every):  # the newest always, none crowding it
            anchor = "end" if i == last and last > 0 else "start" if i == 0 and last > 0 else "middle"
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 24}" text-anchor="{anchor}" fill="{INK}">'
                         f'{html.escape(point.label)}</text>')
    legend = f'<text x="{LEFT}" y="{HEIGHT - 1}" fill="{NAVY}">— value</text>'
    if targets:
        legend += f'<text x="{LEFT + 70}" y="{HEIGHT - 1}" fill="{TARGET}">- - target</text>'
    parts.append(legend)
    parts.append("</svg>")
    return "".join(parts)



def trend_image(points: Sequence[Point], fmt: FormatType | None, unit: str | None, summary: str) -> str:
    """The chart as an image with ``summary`` as its alternative text, which a tagged PDF keeps on its figure."""
    return (f'<img src="{data_uri(trend_svg(points, fmt, unit, summary))}" alt="{html.escape(summary, quote=True)}" '
            f'style="max-width:100%;height:auto">')


def data_uri(svg: str) -> str:
    """An SVG as a ``data:`` address for an image: no request, and a PDF keeps it."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
