"""Pillar ``/pillars/<id>``: its goals and their measures, filterable by agency and status."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard.components import breadcrumb, score_text
from dashboard.context import current_viewer, gate, today
from dashboard.page import guarded, measures_section
from dashboard.page_table import dash_page
from dashboard.score_trend import beside, score_trend
from data.errors import NotFound
from metrics.scores import Level

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(pillar_id: str = "", **query: Any) -> html.Div:
    reads, viewer = gate(), current_viewer()
    registry = reads.registry
    pillar = registry.pillars.get(pillar_id)
    if pillar is None:
        raise NotFound(f"no pillar '{pillar_id}'")
    metrics = [m for m in reads.metrics(viewer) if registry.pillar_of(m) == pillar.id]
    summary = reads.summaries(viewer, today(), Level.PILLAR).get(pillar.id)
    goals = sorted((g for g in registry.goals.values() if g.pillar == pillar.id), key=lambda g: g.sort_order)
    goal_summaries = reads.summaries(viewer, today(), Level.GOAL)
    goal_items = [html.Li([dcc.Link(f"{g.id} {g.title}", href=f"/goals/{g.id}"),
                           html.Span(f" — {goal_summaries[g.id].metrics} measures, score "
                                     f"{score_text(goal_summaries[g.id].score)}" if g.id in goal_summaries
                                     else " — no measures linked yet", className="text-muted")]) for g in goals]
    return html.Div([
        breadcrumb([("Overview", "/"), (f"Pillar {pillar.id}", None)]),
        html.H1(pillar.name),
        beside([html.P(pillar.summary, className="lead") if pillar.summary else None,
                html.P([html.Strong(f"Score {score_text(summary.score if summary else None)}"),
                        f" across {len(metrics)} measures.", f" Lead: {pillar.lead}." if pillar.lead else ""])],
               score_trend(reads.score_history(viewer, today()), pillar.id, f"Pillar {pillar.id}")),
        html.H2("Goals", className="h4 mt-4"),
        html.Ul(goal_items, className="goal-list"),
        html.H2("Measures", className="h4 mt-4"),
        html.P("Measures linked to this pillar directly, through a goal, or through their budget service.",
               className="text-muted"),
        measures_section(metrics, f"/pillars/{pillar.id}", query, f"Measures of pillar {pillar.id}: {pillar.name}"),
    ])
