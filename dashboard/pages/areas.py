"""Areas ``/areas``: every geography declared in city.yaml, with how many areas and measures it has."""

from __future__ import annotations

import dash
from dash import html

from dashboard.area_views import geographies_page
from dashboard.page import guarded
from dashboard.page_table import dash_page

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    return geographies_page()
