"""Flask routes beside the Dash pages: CSV downloads, and a real 404 status for unknown addresses."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dash import Dash
from flask import Response, request

from dashboard.context import current_viewer, gate, today
from dashboard.metric_data import metric_page, to_csv
from data.access import NotFound

STATIC_PAGES = frozenset({"/", "/search", "/about", "/data-health", "/404"})
DASH_PREFIXES = ("/_dash", "/assets/", "/_favicon", "/_reload", "/download/")
TEMPLATE = re.compile(r"^/(metrics|agencies|services|pillars|goals|districts)/([^/]+)$")


def known_page(path: str) -> bool:
    """Whether ``path`` names a page and an object this viewer may see (query strings are the page's job)."""
    path = path.rstrip("/") or "/"
    if path in STATIC_PAGES:
        return True
    match = TEMPLATE.match(path)
    if not match:
        return False
    kind, key = match.groups()
    registry = gate().registry
    if kind == "metrics":
        try:
            gate().metric(current_viewer(), key)
        except NotFound:
            return False
        return True
    if kind == "districts":
        return key.isdigit() and 1 <= int(key) <= 99
    collections: dict[str, Mapping[str, object]] = {"agencies": registry.agencies, "services": registry.services,
                                                    "pillars": registry.pillars, "goals": registry.goals}
    return key in collections[kind]


def register_routes(app: Dash) -> None:
    server = app.server

    @server.before_request
    def _not_found_status() -> tuple[str, int] | None:
        if request.method != "GET" or request.path.startswith(DASH_PREFIXES) or known_page(request.path):
            return None
        return app.index(), 404

    @server.get("/download/metrics/<metric_id>.csv")
    def download_metric(metric_id: str) -> Response:
        try:
            page = metric_page(gate(), current_viewer(), metric_id, request.args.to_dict(), today())
        except NotFound:
            return Response("No such measure.\n", status=404, mimetype="text/plain")
        grain = f"-{page.grain.value}" if page.grain else ""
        return Response(to_csv(page), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{metric_id}{grain}.csv"'})
