"""District ``/districts/<key>``: the older address of ``/areas/<the city's districts>/<key>``, kept for links."""

from __future__ import annotations

import dash
from dash import html

from dashboard.area_views import area_page
from dashboard.context import gate
from dashboard.page import guarded
from dashboard.page_table import dash_page
from data.errors import NotFound

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(district: str = "") -> html.Div:
    districts = gate().registry.city.districts
    if districts is None:
        raise NotFound("This city has no districts.")
    return area_page(districts, district)
