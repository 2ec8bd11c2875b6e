"""Any address no page claims: the friendly not-found page."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import not_found

dash.register_page(__name__, path="/404", title="Page not found", name="Not found")


def layout(**_params: str) -> html.Div:
    return not_found()
