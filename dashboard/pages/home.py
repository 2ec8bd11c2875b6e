"""City overview ``/``: the Action Plan's pillars with their scores, status counts and freshness."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import pillar_card, score_text
from dashboard.context import current_viewer, gate, today
from dashboard.page import freshest, guarded
from dashboard.page_table import dash_page
from metrics.scores import Level
from metrics.status import Status
from metrics.values import CITY

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    reads, viewer, day = gate(), current_viewer(), today()
    registry = reads.registry
    pillars = sorted(registry.pillars.values(), key=lambda p: p.sort_order)
    by_pillar = reads.summaries(viewer, day, Level.PILLAR)
    city = reads.summaries(viewer, day, Level.CITY).get(CITY)
    visible = reads.metrics(viewer)
    members = {p.id: [m for m in visible if registry.pillar_of(m) == p.id] for p in pillars}
    if city is None:
        return html.Div([html.H1(f"How {registry.city.name} is doing"), html.P("No public measures yet.")])
    off, on = city.count(Status.OFF_TRACK), city.count(Status.ON_TRACK)
    summary = (f"Of {city.metrics} public measures, {on} are on track and {off} are off track at their latest "
               f"reading; {city.stale} are waiting for newer data. The city score averages each measure's value "
               "against its target: 1.00 means at target.")
    return html.Div([
        html.H1(f"How {registry.city.name} is doing"),
        html.P([html.Strong(f"City score {score_text(city.score)}. "), summary], className="lead"),
        html.P(["How status and scores work: ", dcc.Link("methodology", href="/about"), "."], className="small"),
        html.H2(f"The pillars of {registry.city.plan}", className="visually-hidden"),
        dbc.Row([dbc.Col(pillar_card(p, by_pillar.get(p.id), freshest(members[p.id], day)), md=6, xl=4,
                         className="mb-4") for p in pillars]),
    ])
