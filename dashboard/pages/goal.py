"""Goal ``/goals/<id>``: the Action Plan goal's lead, its initiatives and its measures (filterable)."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components import breadcrumb
from dashboard.context import current_viewer, gate
from dashboard.page import guarded, measures_section, parse_filters
from dashboard.page_table import dash_page
from data.errors import NotFound

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(goal_id: str = "", **query: Any) -> html.Div:
    reads, viewer = gate(), current_viewer()
    registry = reads.registry
    goal = registry.goals.get(goal_id)
    if goal is None:
        raise NotFound(f"no goal '{goal_id}'")
    pillar = registry.pillars[goal.pillar]
    metrics = [m for m in reads.metrics(viewer) if m.goal == goal.id]
    parse_filters(query, {m.agency for m in metrics})
    return html.Div([
        breadcrumb([("Overview", "/"), (f"Pillar {pillar.id}: {pillar.name}", f"/pillars/{pillar.id}"),
                    (f"Goal {goal.id}", None)]),
        html.H1(f"Goal {goal.id}: {goal.title}"),
        html.P(f"Lead: {goal.lead}.", className="lead") if goal.lead else None,
        html.Section([html.H2(f"Initiatives ({len(goal.initiatives)})", className="h4 mt-4"),
                      html.Ol([html.Li(i) for i in goal.initiatives], className="initiatives")])
        if goal.initiatives else None,
        html.H2("Measures", className="h4 mt-4"),
        measures_section(metrics, f"/goals/{goal.id}", query, f"Measures of goal {goal.id}")
        if metrics else html.P("No public measures are linked to this goal yet."),
    ])
