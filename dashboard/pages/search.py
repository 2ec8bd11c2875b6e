"""Search ``/search?q=``: measures, agencies and services by words in their title, name or definition."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.context import current_viewer, gate
from dashboard.page import guarded
from dashboard.page_table import dash_page

dash.register_page(__name__, **dash_page(__name__))
LIMIT = 100


@guarded
def layout(q: str = "") -> html.Div:
    query = q.strip()[:200]
    results = gate().search(current_viewer(), query) if query else None
    form = html.Form(dbc.Row([
        dbc.Col([dbc.Label("Search measures, agencies and services", html_for="search-page-q"),
                 dbc.Input(id="search-page-q", name="q", type="search", value=query)], md=8),
        dbc.Col(dbc.Button("Search", type="submit", color="primary", className="mt-4"), md=2),
    ], className="g-3 align-items-end"), action="/search", method="get", role="search")
    if results is None:
        return html.Div([html.H1("Search"), form])
    total = len(results.metrics) + len(results.agencies) + len(results.services)
    sections = []
    if results.metrics:
        sections.append(_section("Measures", [(m.title, f"/metrics/{m.id}", m.definition)
                                             for m in results.metrics]))
    if results.agencies:
        sections.append(_section("Agencies", [(a.shown_name, f"/agencies/{a.id}", None)
                                             for a in results.agencies]))
    if results.services:
        sections.append(_section("Budget services", [(s.name, f"/services/{s.id}", s.id) for s in results.services]))
    return html.Div([
        html.H1("Search"),
        form,
        html.P(f"{total} result{'s' if total != 1 else ''} for “{query}”.", role="status", className="mt-3"),
        *sections,
    ])


def _section(title: str, items: list[tuple[str, str, str | None]]) -> html.Section:
    shown = items[:LIMIT]
    more = [html.P(f"… and {len(items) - LIMIT} more; add words to narrow the search.")] if len(items) > LIMIT else []
    return html.Section([
        html.H2(f"{title} ({len(items)})", className="h5 mt-4"),
        html.Ul([html.Li([dcc.Link(text, href=link),
                          html.Span(f" — {detail[:160]}{'…' if len(detail) > 160 else ''}", className="text-muted")
                          if detail else None]) for text, link, detail in shown], className="search-results"),
        *more,
    ])
