"""Flask routes beside the Dash pages: CSV downloads, and real HTTP statuses (401, 403, 404) for page addresses."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dash import Dash
from dash.fingerprint import check_fingerprint
from flask import Response, current_app, request

from dashboard import area_data
from dashboard.context import current_viewer, gate, today
from dashboard.metric_data import all_grains, metric_page, to_csv
from data.errors import Forbidden, NotFound
from data.followup_store import follow_up
from data.policy import Viewer
from data.sessions import session

SIGN_IN_PAGES = frozenset({"/sign-in", "/sign-out"})
OPEN_PAGES = frozenset({"/", "/search", "/about", "/404", "/areas"})
STAFF_PAGES = frozenset({"/data-health", "/admin/audit", "/citistat", "/follow-ups"})
DASH_PREFIXES = ("/_dash", "/assets/", "/_favicon", "/_reload", "/download/")
TEMPLATE = re.compile(r"^/(metrics|agencies|services|pillars|goals|districts)/([^/]+)$")
AREA_TEMPLATE = re.compile(r"^/areas/([^/]+)(?:/(.+))?$")  # the path arrives decoded: a key's "%2F" is a "/"
STAFF_TEMPLATE = re.compile(r"^/(?:citistat/(\d{1,9})(?:/memo)?|follow-ups/(\d{1,9}))$")


def page_status(path: str) -> int:
    """The HTTP status of a page address for this viewer: 200, 401 (sign in first), 403 or 404.

    Query strings are the page's job; the page shows the matching message whatever the status.
    """
    path = path.rstrip("/") or "/"
    match, staff, area = TEMPLATE.match(path), STAFF_TEMPLATE.match(path), AREA_TEMPLATE.match(path)
    if match is None and staff is None and area is None and path not in SIGN_IN_PAGES | OPEN_PAGES | STAFF_PAGES:
        return 404
    if path in SIGN_IN_PAGES:
        return 200
    viewer = current_viewer()
    needs_sign_in = path in STAFF_PAGES or staff or current_app.config.get("CITISTAT_SITE") == "internal"
    if needs_sign_in and not viewer.internal:
        return 401
    if staff is not None:
        return _staff_object_status(viewer, *staff.groups())
    if area is not None:
        return 200 if _area_known(viewer, *area.groups()) else 404
    if match is None:
        return 200
    kind, key = match.groups()
    if kind == "metrics":
        try:
            gate().metric(viewer, key)
        except Forbidden:
            return 403
        except NotFound:
            return 404
        return 200
    return 200 if _known(kind, key) else 404


def _staff_object_status(viewer: Viewer, session_id: str | None, follow_up_id: str | None) -> int:
    try:
        if session_id:
            session(viewer, int(session_id))
        elif follow_up_id:
            follow_up(gate(), viewer, int(follow_up_id))
    except NotFound:
        return 404
    return 200


def _area_known(viewer: Viewer, geography_id: str, key: str | None) -> bool:
    try:
        if key is None:
            area_data.geography(gate(), geography_id)
        else:
            area_data.find_area(gate(), viewer, geography_id, key)
    except NotFound:
        return False
    return True


def _known(kind: str, key: str) -> bool:
    registry = gate().registry
    if kind == "districts":
        return bool(registry.city.districts) and _area_known(current_viewer(), str(registry.city.districts), key)
    collections: dict[str, Mapping[str, object]] = {"agencies": registry.agencies, "services": registry.services,
                                                    "pillars": registry.pillars, "goals": registry.goals}
    return key in collections[kind]


def _known_file(app: Dash) -> bool:
    """False for a download no route serves and a component-suite file Dash does not serve (it would answer
    with the page or a 500)."""
    rule = request.url_rule.rule if request.url_rule else ""
    if request.path.startswith("/download/"):
        return rule.startswith("/download/")
    if rule.startswith("/_dash-component-suites/"):
        args = request.view_args or {}
        path, _ = check_fingerprint(str(args.get("fingerprinted_path", "")))
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
