"""Pure figure builders: trend with target line, area bar chart, map colours, and sparklines (SVG)."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from metrics.formatting import format_target, format_value
from metrics.spec import FormatType

INK, NAVY, TARGET, BASELINE, GRID = "#1b1f24", "#14283f", "#b35806", "#57606a", "#d0d7de"
QUESTIONABLE = "#8250df"  # a purple the status colours do not use; 5.0:1 on white
MAP_SCALE: list[tuple[float, str]] = [(0.0, "#e8eef6"), (0.5, "#5b7fb0"), (1.0, "#14283f")]


@dataclass(frozen=True)
class Point:
    label: str
    start: dt.date
    value: float | None
    target: float | None = None
    held_out: str | None = None  # why the quality gate keeps the value out of judgements
    partial: bool = False  # the source covers only part of the period
    restated: str | None = None  # the published figure was replaced: when, from what and why


def _layout(fig: go.Figure, fmt: FormatType | None, height: int) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 8, "r": 8, "t": 36, "b": 8}, font={"color": INK, "size": 13},
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},  # above: clear of the
                      hovermode="x unified")  # period labels, however many lines they turn through
    if fmt is FormatType.PERCENT:
        fig.update_yaxes(tickformat=".0%")
    fig.update_yaxes(rangemode="tozero", gridcolor=GRID)
    return fig


def trend_figure(points: Sequence[Point], fmt: FormatType | None, baseline: float | None,
                 held_label: str = "Questionable (not used)") -> go.Figure:
    """Values as a line with markers, a partial period apart as an open circle, the target as a dashed step
    line, the baseline dotted. Values the quality gate holds out are separate purple crosses that do not set the
    axis range: one beyond it sits on the edge as a triangle pointing where it lies. With nothing else to show,
    they set it."""
    fig = go.Figure()
    labels = [p.label for p in points]
    used = [None if p.held_out else p.value for p in points]
    fig.add_trace(go.Scatter(x=labels, y=[None if p.partial else v for p, v in zip(points, used, strict=True)],
                             name="Value", mode="lines+markers", line={"color": NAVY, "width": 3},
                             marker={"size": 8, "symbol": "circle"}))
    if any(p.partial and not p.held_out for p in points):
        fig.add_trace(go.Scatter(x=labels, y=[v if p.partial else None for p, v in zip(points, used, strict=True)],
                                 name="Partial period", mode="markers",
                                 marker={"size": 10, "symbol": "circle-open", "color": NAVY, "line": {"width": 2}}))
    targets = [p.target for p in points]
    if any(t is not None for t in targets):
        fig.add_trace(go.Scatter(x=labels, y=targets, name="Target", mode="lines+markers", hoverinfo="text",
                                 hovertext=[f"{label}: target {format_target(t, fmt)}" if t is not None else ""
                                            for label, t in zip(labels, targets, strict=True)],
                                 line={"color": TARGET, "width": 2, "dash": "dash", "shape": "hvh"},
                                 marker={"size": 7, "symbol": "diamond"}))
    if baseline is not None:
        fig.add_hline(y=baseline, line={"color": BASELINE, "dash": "dot", "width": 2},
                      annotation_text=f"Baseline {format_value(baseline, fmt)}", annotation_position="top left")
    restated = [p for p in points if p.restated and p.value is not None and not p.held_out]
    if restated:
        fig.add_trace(go.Scatter(x=[p.label for p in restated], y=[p.value for p in restated], name="Restated",
                                 mode="markers", hoverinfo="text",
                                 hovertext=[f"{p.label}: {format_value(p.value, fmt)}, {p.restated}" for p in restated],
                                 marker={"size": 16, "symbol": "circle-open", "color": TARGET, "line": {"width": 2}}))
    fig.update_xaxes(type="category")
    known = [v for v in [*used, *targets, baseline] if v is not None]
    held = [p for p in points if p.held_out and p.value is not None]
    if held and not known:
        known = [p.value or 0.0 for p in held]
    if held:
        low, high = min(0.0, *known), max(0.0, *known)
        pad = (high - low) * 0.08 or 1.0
        low, high = low - (pad if low < 0 else 0.0), high + pad
        fig.add_trace(go.Scatter(
            x=[p.label for p in held], y=[min(max(p.value or 0.0, low), high) for p in held],
            name=held_label, mode="markers", hoverinfo="text", cliponaxis=False,
            hovertext=[f"{p.label}: {format_value(p.value, fmt)}, not used: {p.held_out}" for p in held],
            marker={"size": 12, "color": QUESTIONABLE, "line": {"width": 2, "color": QUESTIONABLE},
                    "symbol": ["triangle-up-open" if (p.value or 0) > high else "triangle-down-open"
                               if (p.value or 0) < low else "x-thin-open" for p in held]}))
        fig.update_yaxes(range=[low, high])
    return _layout(fig, fmt, 360)


MANY_AREAS = 20  # beyond this, the bar chart shows the highest and lowest areas and the table lists them all
SHOWN_EACH_END = 10


def area_bar(names: Sequence[str], values: Sequence[float | None], reference: float | None, reference_label: str,
             fmt: FormatType | None, label: str) -> go.Figure:
    """Each area's value with the reference it is compared with (the city's rate, or the average area). Up to
    ``MANY_AREAS`` areas stand as columns in the order given; more lie as horizontal bars, the
    ``SHOWN_EACH_END`` highest over the lowest, so 278 neighbourhoods stay readable."""
    if len(names) <= MANY_AREAS:
        fig = go.Figure(go.Bar(x=list(names), y=list(values), marker={"color": NAVY}, name="Value"))
        if reference is not None:
            fig.add_hline(y=reference, line={"color": TARGET, "dash": "dash", "width": 2},
                          annotation_text=reference_label.capitalize(), annotation_position="top right",
                          annotation_bgcolor="rgba(255,255,255,0.85)")  # readable where it crosses a bar
        fig.update_xaxes(type="category", title={"text": label})
        return _layout(fig, fmt, 320)
    ranked = sorted(((v, n) for n, v in zip(names, values, strict=True) if v is not None), reverse=True)
    shown = ranked if len(ranked) <= 2 * SHOWN_EACH_END else ranked[:SHOWN_EACH_END] + ranked[-SHOWN_EACH_END:]
    fig = go.Figure(go.Bar(y=[n for _, n in shown], x=[v for v, _ in shown], orientation="h",
                           marker={"color": NAVY}, name="Value"))
    if reference is not None:
        fig.add_vline(x=reference, line={"color": TARGET, "dash": "dash", "width": 2},
                      annotation_text=reference_label.capitalize(), annotation_position="bottom right",
                      annotation_bgcolor="rgba(255,255,255,0.85)")
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)  # the caption names the areas
    fig.update_xaxes(rangemode="tozero", gridcolor=GRID, tickformat=".0%" if fmt is FormatType.PERCENT else None)
    fig.update_layout(height=80 + 22 * len(shown), margin={"l": 8, "r": 8, "t": 8, "b": 8},
                      font={"color": INK, "size": 12}, showlegend=False, hovermode="y")
    return fig


def blend(share: float) -> str:
    """A colour on ``MAP_SCALE`` (light to dark navy) for a 0–1 share."""
    (a_at, a_hex), (b_at, b_hex) = ((MAP_SCALE[0], MAP_SCALE[1]) if share <= 0.5 else (MAP_SCALE[1], MAP_SCALE[2]))
    t = (share - a_at) / (b_at - a_at)
    a = [int(a_hex[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(b_hex[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def sparkline(values: Sequence[float | None], width: int = 110, height: int = 28) -> str:
    """A data: URI of a small SVG line (for an ``img`` with alt text), broken where a value is missing."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    low, high = min(v for _, v in points), max(v for _, v in points)
    span = (high - low) or 1.0
    step = (width - 6) / (len(values) - 1)
    xy = {i: (3 + i * step, height - 3 - (v - low) / span * (height - 6)) for i, v in points}
    runs: list[list[int]] = []
    for i, _ in points:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    lines = "".join(f'<polyline fill="none" stroke="{NAVY}" stroke-width="2" points="'
                    + " ".join(f"{xy[i][0]:.1f},{xy[i][1]:.1f}" for i in run) + '"/>' for run in runs)
    last_x, last_y = xy[points[-1][0]]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{lines}'
           f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="3" fill="{NAVY}"/></svg>')
    return "data:image/svg+xml;utf8," + urllib.parse.quote(svg)
