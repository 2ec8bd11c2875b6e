"""Follow-ups ``/follow-ups``: every follow-up the viewer may see across the city, filterable by colour and agency."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import aria, follow_up_table
from dashboard.context import current_viewer, gate, today
from dashboard.page import guarded
from dashboard.page_table import dash_page
from dashboard.views import choice
from data.followup_store import follow_ups
from metrics.followups import FollowUpColour

dash.register_page(__name__, **dash_page(__name__))
OPEN = "open"


@guarded
def layout(**query: Any) -> html.Div:
    viewer, day, registry = current_viewer(), today(), gate().registry
    rows = follow_ups(gate(), viewer)
    agencies = sorted({f.owner_agency for f in rows}, key=lambda a: registry.agencies[a].name)
    colour = choice(query, "colour", [OPEN, *(c.value for c in FollowUpColour)], OPEN)
    agency = choice(query, "agency", agencies)
    shown = [f for f in rows if (colour == OPEN and f.is_open_on(day) or f.colour(day).value == colour)
             and (agency is None or f.owner_agency == agency)]
    names = {a.id: a.name for a in registry.agencies.values()}
    overdue = sum(f.colour(day) is FollowUpColour.RED for f in rows)
    return html.Div([
        html.H1("Follow-ups"),
        html.P("Commitments made in CitiStat sessions. Red means past due without evidence; a follow-up stays "
               "on its subject's next sessions until it is closed with evidence.", className="lead"),
        html.P(f"{overdue} overdue of {len(rows)} follow-ups.", className="result-count"),
        _filters(colour or OPEN, agency, [(a, names[a]) for a in agencies]),
        html.P(f"{len(shown)} shown.", className="result-count", role="status"),
        follow_up_table(shown, "Follow-ups, soonest due first", names, day),
    ])


def _filters(colour: str, agency: str | None, agencies: list[tuple[str, str]]) -> html.Form:
    colours = [{"label": "All open", "value": OPEN}] + [
        {"label": f"{c.value.capitalize()}: {c.label.lower()}", "value": c.value} for c in FollowUpColour]
    return html.Form(dbc.Row([
        dbc.Col([dbc.Label("Status", html_for="filter-colour"),
                 dbc.Select(id="filter-colour", name="colour", options=colours, value=colour)], md=4),
        dbc.Col([dbc.Label("Owner agency", html_for="filter-agency"),
                 dbc.Select(id="filter-agency", name="agency", value=agency or "", placeholder="All agencies",
                            options=[{"label": "All agencies", "value": ""}]
                            + [{"label": n, "value": k} for k, n in agencies])], md=5),
        dbc.Col(dbc.Button("Apply filters", type="submit", color="primary", className="mt-4"), md=3),
    ], className="g-3 align-items-end"), action="/follow-ups", method="get", className="filters",
        **aria(label="Filter follow-ups"))
