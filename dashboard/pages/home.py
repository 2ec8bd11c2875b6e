"""City overview ``/``: the Action Plan's pillars with their scores and status counts."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import pillar_card, score_text
from dashboard.context import current_viewer, gate, today

dash.register_page(__name__, path="/", title="City performance overview", name="Overview")


def layout(**_query: str) -> html.Div:
    reads, viewer, day = gate(), current_viewer(), today()
    registry = reads.registry
    pillars = sorted(registry.pillars.values(), key=lambda p: p.sort_order)
    by_pillar = reads.summaries(viewer, day, "pillar")
    city = reads.summaries(viewer, day, "city").get("city")
    intro = (f"{city.metrics} public measures across {len(pillars)} pillars. The city score averages every "
             f"measure's value against its target (1.00 = at target)." if city else "No measures yet.")
    return html.Div([
        html.H1(f"How {registry.city.name} is doing"),
        html.P([html.Strong(f"City score {score_text(city.score if city else None)}. "), intro], className="lead"),
        dbc.Row([dbc.Col(pillar_card(p, by_pillar.get(p.id)), md=6, xl=4, className="mb-4") for p in pillars]),
    ])
