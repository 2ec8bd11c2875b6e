"""The page frame: skip link, header, main landmark, footer with data attribution."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import aria
from data.models import Role
from metrics.spec import City

INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <div>
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


def _staff_links() -> list[Any]:
    """Staff see how many questionable values wait for the performance team's review."""
    from dashboard.context import current_viewer

    viewer = current_viewer()
    if not viewer.internal:
        return [dcc.Link("Staff sign-in", href="/sign-in", className="nav-item-link")]
    from dashboard.context import gate

    waiting = sum(1 for f in gate().flagged(viewer) if f.row.verdict is None)
    count = f" ({waiting} {'to review' if viewer.can_manage else 'questionable'})" if waiting else ""
    links = [dcc.Link("CitiStat", href="/citistat", className="nav-item-link"),
             dcc.Link("Follow-ups", href="/follow-ups", className="nav-item-link"),
             dcc.Link(["Data health", html.Span(count, className="nav-count") if count else None],
                      href="/data-health", className="nav-item-link")]
    if viewer.role is Role.ADMIN:
        links.append(dcc.Link("Audit log", href="/admin/audit", className="nav-item-link"))
    return [*links, dcc.Link(f"Sign out ({viewer.user_id})", href="/sign-out", className="nav-item-link")]


def shell(city: City) -> html.Div:
    """The frame, built per request (it names the signed-in user)."""
    return html.Div([
        html.A("Skip to main content", href="#main", className="skip-link"),
        html.Header(dbc.Container(dbc.Row([
            dbc.Col([
                dcc.Link([html.Span(city.name, className="brand-city"), html.Span(" Performance",
                                                                                  className="brand-rest")],
                         href="/", className="brand"),
                html.P(city.tagline, className="tagline"),
            ], md=7),
            dbc.Col(html.Nav([
                dcc.Link("Overview", href="/", className="nav-item-link"),
                dcc.Link("Areas", href="/areas", className="nav-item-link"),
                dcc.Link("About the data", href="/about", className="nav-item-link"),
                *_staff_links(),
                html.Form([
                    dbc.Label("Search", html_for="site-search", className="visually-hidden"),
                    dbc.Input(id="site-search", name="q", type="search", placeholder="Search measures",
                              size="sm", className="search-input"),
                    dbc.Button("Search", type="submit", size="sm", color="light"),
                ], action="/search", method="get", role="search", className="site-search"),
            ], className="site-nav", **aria(label="Site")), md=5),
        ], className="align-items-center"), fluid="lg"), className="site-header"),
        html.Main(dbc.Container(dash.page_container, fluid="lg"), id="main", tabIndex="-1"),
        html.Footer(dbc.Container(html.P([
            f"{city.credit} " if city.credit else "", html.A("About the data and methods", href="/about")]),
            fluid="lg"),
            className="site-footer"),
    ])
