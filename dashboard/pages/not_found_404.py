"""Any address no page claims: the friendly not-found page."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import not_found
from dashboard.page_table import dash_page

dash.register_page(__name__, **dash_page(__name__))


def layout(**_params: str) -> html.Div:
    return not_found()
