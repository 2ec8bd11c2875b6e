"""Small pure builders shared by pages: status chips, score text, pillar cards."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from metrics.scores import Summary
from metrics.spec import Pillar
from metrics.status import Status

STATUS_ICONS = {Status.ON_TRACK: "✓", Status.NEAR_TARGET: "◐", Status.OFF_TRACK: "✕", Status.NO_DATA: "–",
                Status.STALE: "⏱", Status.INFORMATIONAL: "ℹ"}
COUNTED = (Status.ON_TRACK, Status.NEAR_TARGET, Status.OFF_TRACK, Status.INFORMATIONAL, Status.NO_DATA)


def status_chip(status: Status, count: int | None = None) -> html.Span:
    """A status as icon plus words (never colour alone)."""
    text = status.label if count is None else f"{count} {status.label.lower()}"
    icon = html.Span(STATUS_ICONS[status], **{"aria-hidden": "true"})  # type: ignore[arg-type]
    return html.Span([icon, f" {text}"],
                     className=f"status-chip status-{status.value}")


def score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.2f}"


def pillar_card(pillar: Pillar, summary: Summary | None) -> dbc.Card:
    summary = summary or Summary(0)
    counts = html.Ul([html.Li(status_chip(s, summary.count(s))) for s in COUNTED if summary.count(s)],
                     className="status-counts", **{"aria-label": "Measures by status"})  # type: ignore[arg-type]
    stale = (html.P(f"{summary.stale} of {summary.metrics} measures have overdue data (shown by their last reading).",
                    className="freshness") if summary.stale else None)
    return dbc.Card(dbc.CardBody([
        html.P(f"Pillar {pillar.id}", className="pillar-number"),
        html.H2(pillar.name, className="h5 pillar-name"),
        html.Div([html.Span(score_text(summary.score), className="score-value"),
                  html.Span(" score", className="score-label")], className="score",
                 title="Average of measure scores: 1.00 means at target, capped at 1.25"),
        html.P(f"{summary.metrics} public measures", className="measure-count"),
        counts,
        stale,
    ]), className="pillar-card h-100")
