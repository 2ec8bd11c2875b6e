"""One geography ``/areas/<geography>`` (map and list of its areas) or one area ``/areas/<geography>/<key>``
(the key percent-encoded: it may hold spaces, slashes, apostrophes or any script)."""

from __future__ import annotations

import dash
from dash import html

from dashboard.area_views import area_or_index
from dashboard.page import guarded
from dashboard.page_table import dash_page

# Dash matches "<where>" against the rest of the path, slashes included: the key's own slashes arrive as %2F.
dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(where: str = "") -> html.Div:
    return area_or_index(where)
