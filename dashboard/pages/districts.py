"""Districts ``/districts``: the city's districts (the geography city.yaml names), with their map and list."""

from __future__ import annotations

import dash
from dash import html

from dashboard.area_views import geography_page
from dashboard.context import gate
from dashboard.page import guarded
from dashboard.page_table import dash_page
from data.errors import NotFound

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    districts = gate().registry.city.districts
    if districts is None:
        raise NotFound("This city has no districts.")
    return geography_page(districts)
