"""A score over time, for the overview (the city) and each pillar page: a small SVG line drawn on the server (no
script, nothing to download) with the figures as a table, and a word on the points reconstructed from today's data."""

from __future__ import annotations

import html as text
import math
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import data_label, score_text
from dashboard.figures import GRID, INK, NAVY, TARGET
from dashboard.svg_charts import data_uri
from metrics.score_history import Basis, ScorePoint
from metrics.scores import Summary
from metrics.status import Status

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 42, 14, 10, 28
BASIS_WORDS = {Basis.PUBLISHED: "as published", Basis.RECONSTRUCTED: "reconstructed", Basis.CURRENT: "current"}


def score_trend(points: Sequence[ScorePoint], key: str, name: str) -> html.Section | None:
    """The score of ``key`` (``city`` or a pillar's id) at each point; nothing when fewer than two are scored."""
    scored = [(p, p.scores[key]) for p in points if key in p.scores and p.scores[key].score is not None]
    if len(scored) < 2:
        return None
    first, last = scored[0], scored[-1]
    summary = (f"{name} score by quarter, from {score_text(first[1].score)} at the end of {first[0].label} to "
               f"{score_text(last[1].score)} now (1.00 means every measure at its target).")
    rebuilt = [p for p, _ in scored if p.basis is Basis.RECONSTRUCTED]
    return html.Section([
        html.H2(f"{name} score by quarter", className="h5"),
        html.Img(src=_image([(p.label, s.score or 0.0, p.basis) for p, s in scored], summary), alt=summary,
                 className="score-trend", width=WIDTH, height=HEIGHT),
        html.P("Each point judges every measure with the values in hand at that quarter's end; a late measure "
               "counts by its last reading, so a flat line can mean no newer data. Dashed: 1.0, every measure at "
               f"target. {_rebuilt_words(rebuilt)}", className="small text-muted"),
        html.Details([html.Summary("The scores as a table"), _table(scored)], className="small"),
    ], className="score-history")


def beside(intro: list[Any], trend: html.Section | None) -> dbc.Row | html.Div:
    """A page's opening words with its score trend beside them (below them on a phone)."""
    if trend is None:
        return html.Div(intro)
    return dbc.Row([dbc.Col(intro, lg=7), dbc.Col(trend, lg=5)], className="mb-2")


def _rebuilt_words(rebuilt: list[ScorePoint]) -> str:
    if not rebuilt:
        return ""
    return (f"Hollow points (to {rebuilt[-1].label}) are reconstructed from today's data for the periods then "
            "ended: this site kept no history before.")


def _table(scored: list[tuple[ScorePoint, Summary]]) -> html.Table:
    columns = ("Quarter", "Score", "On track", "Off track", "Waiting for newer data", "Basis")
    rows = [html.Tr([html.Th(p.label if p.basis is Basis.CURRENT else f"{p.label} (to {p.day:%b %-d, %Y})",
                             scope="row"),
                     *(html.Td(cell, **data_label(column)) for column, cell in zip(columns[1:], (
                         score_text(s.score), f"{s.count(Status.ON_TRACK)} of {s.metrics}",
                         str(s.count(Status.OFF_TRACK)), str(s.stale), BASIS_WORDS[p.basis]), strict=True))])
            for p, s in scored]
    return html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in columns])), html.Tbody(rows)],
                      className="table table-sm stacks")


def _image(series: list[tuple[str, float, Basis]], summary: str) -> str:
    scores = [s for _, s, _ in series]
    low = math.floor(min(*scores, 1.0) * 10 - 0.5) / 10
    high = math.ceil(max(*scores, 1.0) * 10 + 0.5) / 10
    step = (WIDTH - LEFT - RIGHT) / (len(series) - 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + (high - v) / (high - low) * (HEIGHT - TOP - BOTTOM)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{text.escape(summary, quote=True)}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, sans-serif" font-size="13">']
    for tenth in range(round(low * 10), round(high * 10) + 1):
        value = tenth / 10
        stroke = f'stroke="{TARGET}" stroke-dasharray="6 4"' if tenth == 10 else f'stroke="{GRID}"'
        parts.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" {stroke}/>')
        parts.append(f'<text x="{LEFT - 5}" y="{y(value) + 4:.1f}" text-anchor="end" fill="{INK}">{value:.1f}</text>')
    line = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, s in enumerate(scores))
    parts.append(f'<polyline points="{line}" fill="none" stroke="{NAVY}" stroke-width="2.5"/>')
    for i, (_, score, basis) in enumerate(series):
        fill = "#fff" if basis is Basis.RECONSTRUCTED else NAVY
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(score):.1f}" r="4" fill="{fill}" stroke="{NAVY}" '
                     'stroke-width="2"/>')
    for i in sorted({0, len(series) // 2, len(series) - 1}):
        anchor = "start" if i == 0 else "end" if i == len(series) - 1 else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" fill="{INK}">'
                     f'{text.escape(series[i][0])}</text>')
    parts.append("</svg>")
    return data_uri("".join(parts))
