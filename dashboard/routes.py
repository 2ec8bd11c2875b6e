"""Flask routes beside the Dash pages: CSV downloads, and real HTTP statuses (401, 403, 404) for page addresses."""

from __future__ import annotations

from dash import Dash
from dash.fingerprint import check_fingerprint
from flask import Response, current_app, request

from dashboard.context import current_viewer, gate, today
from dashboard.metric_data import all_grains, metric_page, to_csv
from dashboard.page_table import find, hidden
from data.errors import Forbidden, NotFound

DASH_PREFIXES = ("/_dash", "/assets/", "/_favicon", "/_reload", "/download/", "/api/", "/embed/")


def page_status(path: str) -> int:
    """The HTTP status of a page address for this viewer, from the page table: 200, 401 (sign in first), 403 or
    404. Query strings are the page's job; the page shows the matching message whatever the status."""
    found = find(path)
    if found is None:
        return 404
    page, params = found
    viewer = current_viewer()
    refused = page.refusal(viewer, current_app.config.get("CITISTAT_SITE") == "internal")
    if refused:
        return refused
    refusal = hidden(page, params)
    return 200 if refusal is None else 403 if isinstance(refusal, Forbidden) else 404


def _known_file(app: Dash) -> bool:
    """False for a download no route serves and a component-suite file Dash does not serve (it would answer
    with the page or a 500)."""
    rule = request.url_rule.rule if request.url_rule else ""
    if request.path.startswith("/download/"):
        return rule.startswith("/download/")
    args = request.view_args or {}
    if rule.startswith("/_dash-component-suites/") and "fingerprinted_path" in args:
        path, _ = check_fingerprint(str(args["fingerprinted_path"]))
        return path in app.registered_paths.get(str(args.get("package_name", "")), ())
    return True


def register_routes(app: Dash) -> None:
    server = app.server

    @server.before_request
    def _status() -> tuple[str, int] | Response | None:
        if any("\x00" in text for key, values in request.form.lists() for text in (key, *values)):
            return Response("Text with a NUL character cannot be accepted.\n", status=400, mimetype="text/plain")
        if request.method != "GET":
            return None
        if not _known_file(app):
            return Response("Not found.\n", status=404, mimetype="text/plain")
        if request.path.startswith(DASH_PREFIXES):
            return None
        status = page_status(request.path)
        return None if status == 200 else (app.index(), status)

    @server.get("/download/metrics/<metric_id>.csv")
    def download_metric(metric_id: str) -> Response:
        if current_app.config.get("CITISTAT_SITE") == "internal" and not current_viewer().internal:
            return Response("Sign in first.\n", status=401, mimetype="text/plain")
        query = request.args.to_dict()
        every = query.get("grain") == "all"  # every grain's values, not just the page's
        try:
            pages = (all_grains(gate(), current_viewer(), metric_id, today()) if every and len(query) == 1
                     else [metric_page(gate(), current_viewer(), metric_id, query, today())])
        except Forbidden:
            return Response("Not available to your account.\n", status=403, mimetype="text/plain")
        except NotFound:
            return Response("No such measure.\n", status=404, mimetype="text/plain")
        grain = "-all" if every else f"-{pages[0].grain.value}" if pages[0].grain else ""
        return Response(to_csv(pages), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{metric_id}{grain}.csv"'})
