"""The page frame: skip link, header, main landmark, footer with data attribution."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import aria
from dashboard.page_table import PAGES, Audience
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


def _nav_links() -> list[Any]:
    """The page table's nav entries this viewer may open; staff also see how many questionable values wait for
    the performance team's review, and their sign-out."""
    from dashboard.context import current_viewer, gate

    viewer = current_viewer()
    shown = [p for p in PAGES if p.nav and (p.audience is Audience.EVERYONE or viewer.internal)
             and (p.audience is not Audience.ADMIN or viewer.can_manage)]
    links = []
    for page in shown:
        label: list[Any] = [page.nav]
        if page.module == "data_health":
            waiting = sum(1 for f in gate().flagged(viewer) if f.row.verdict is None)
            if waiting:
                label.append(html.Span(f" ({waiting} {'to review' if viewer.can_manage else 'questionable'})",
                                       className="nav-count"))
        links.append(dcc.Link(label, href=page.path, className="nav-item-link"))
    if not viewer.internal:
        return [*links, dcc.Link("Staff sign-in", href="/sign-in", className="nav-item-link")]
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
                *_nav_links(),
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
