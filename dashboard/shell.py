"""The page frame: skip link, header, main landmark, footer with data attribution."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

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


def shell(city_name: str) -> html.Div:
    return html.Div([
        html.A("Skip to main content", href="#main", className="skip-link"),
        html.Header(dbc.Container([
            html.A([html.Span(city_name, className="brand-city"), html.Span(" Performance", className="brand-rest")],
                   href="/", className="brand"),
            html.P("Progress on the Mayor's Action Plan and the budget book's measures", className="tagline"),
        ], fluid="lg"), className="site-header"),
        html.Main(dbc.Container(dash.page_container, fluid="lg"), id="main", tabIndex="-1"),
        html.Footer(dbc.Container(html.P([
            "Data: City of Baltimore (Office of Performance and Innovation; Open Baltimore), The Baltimore Sun "
            "(CC BY 4.0). ", html.A("About the data and methods", href="/about")]), fluid="lg"),
            className="site-footer"),
    ])
