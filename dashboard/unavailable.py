"""What people see while the database cannot be reached or stays locked: a friendly page and message, never a
blank page or a 500, within seconds.

The app recovers by itself when the database is back (connections are checked before use); the message asks
people to try again. Page addresses and downloads answer 503 with ``Retry-After``; Dash's layout and page
requests answer with the message as content so the browser shows it in place of the page.
"""

from __future__ import annotations

import json
import logging

import plotly.utils
from dash import Dash, html
from flask import Response, redirect, request

from dashboard.page_cache import ROUTER_OUTPUT
from data.db import limit_lock_wait
from data.errors import UNAVAILABLE, describe

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
LOCK_WAIT_SECONDS = 3  # how long a request waits for another writer's lock on a SQLite store
TITLE = "Data temporarily unavailable"
MESSAGE = ("The performance data cannot be reached right now. Nothing saved is lost, and this page will work "
           "again on its own. Please try again in a minute.")
PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title><link rel="stylesheet" href="/assets/vendor/bootstrap.min.css"></head>
<body><main class="container py-5"><h1>{TITLE}</h1><p class="lead">{MESSAGE}</p>
<p><a href="">Try again</a></p></main></body></html>"""


def notice() -> html.Div:
    return html.Div([html.H1(TITLE), html.P(MESSAGE, className="lead"),
                     html.P(html.A("Try again", href=""))], className="unavailable", role="alert")


def _dash_json(content: object) -> Response:
    return Response(json.dumps(content, cls=plotly.utils.PlotlyJSONEncoder), mimetype="application/json")


def install(app: Dash) -> None:
    prefix = app.config.routes_pathname_prefix
    callback_endpoint, layout_endpoint = f"{prefix}_dash-update-component", f"{prefix}_dash-layout"

    @app.server.before_request
    def _bounded_lock_wait() -> None:
        limit_lock_wait(LOCK_WAIT_SECONDS)

    def _unavailable(error: Exception) -> Response:
        logger.warning("database unavailable during %s %s: %s", request.method, request.path, describe(error))
        if request.path == callback_endpoint:
            payload = request.get_json(silent=True)
            if isinstance(payload, dict) and payload.get("output") == ROUTER_OUTPUT:
                return _dash_json({"multi": True, "response": {"_pages_content": {"children": notice()},
                                                               "_pages_store": {"data": {"title": TITLE}}}})
            return Response(status=204)  # any other callback: leave the page as it is
        if request.path == layout_endpoint:
            return _dash_json(html.Main(notice(), id="main", className="container py-5"))
        if request.path == "/auth/sign-in":
            return redirect("/sign-in?error=unavailable")  # type: ignore[return-value]
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            return Response(json.dumps({"status": 503, "title": TITLE, "detail": MESSAGE}), status=503,
                            mimetype="application/problem+json", headers=headers)
        if request.path.startswith("/download/"):
            return Response(f"{TITLE}. Please try again in a minute.\n", status=503, mimetype="text/plain",
                            headers=headers)
        return Response(PAGE, status=503, mimetype="text/html", headers=headers)

    for kind in UNAVAILABLE:
        app.server.register_error_handler(kind, _unavailable)
