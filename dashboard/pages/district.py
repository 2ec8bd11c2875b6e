"""Council district ``/districts/<n>``: the older address of ``/areas/council_district/<n>``, kept for links."""

from __future__ import annotations

import dash
from dash import html

from dashboard.area_views import area_page
from dashboard.page import guarded

dash.register_page(__name__, path_template="/districts/<district>", title="Council district", name="District")


@guarded()
def layout(district: str = "") -> html.Div:
    return area_page("council_district", district)
