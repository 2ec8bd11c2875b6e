"""The charts' plotly.js: the partial "basic" bundle (scatter, bar and pie, all the charts here draw), served
where Dash would load the full one: 395 KB compressed instead of 1.4 MB on every page with a chart."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dash import Dash
from flask import Response, request

BUNDLE = Path(__file__).resolve().parent.parent / "assets" / "vendor" / "plotly-basic.min.js"
TRACE_TYPES = frozenset({"scatter", "bar", "pie"})  # what the bundle draws (the tests hold every chart to it)
MAX_AGE = 86_400  # the address carries no version: a day, then a conditional request (304 while unchanged)


@dataclass(frozen=True)
class _Encoded:
    plain: bytes
    gzipped: bytes
    etag: str


@cache
def _encoded() -> _Encoded:
    plain = BUNDLE.read_bytes()
    return _Encoded(plain, gzip.compress(plain, compresslevel=9, mtime=0), hashlib.sha256(plain).hexdigest()[:20])


def install(app: Dash) -> None:
    """Answer the address the Dash renderer loads plotly.js from (``window._dashPlotlyJSURL``) with the bundle,
    compressed once rather than per request."""
    path = f"{app.config.requests_pathname_prefix}_dash-component-suites/plotly/package_data/plotly.min.js"

    def plotly_js() -> Response:
        bundle = _encoded()
        if request.if_none_match.contains(bundle.etag):
            reply = Response(status=304)
        elif request.accept_encodings["gzip"]:
            reply = Response(bundle.gzipped, mimetype="application/javascript")
            reply.headers["Content-Encoding"] = "gzip"
        else:
            reply = Response(bundle.plain, mimetype="application/javascript")
        reply.set_etag(bundle.etag)
        reply.headers["Vary"] = "Accept-Encoding"
        reply.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return reply

    app.server.add_url_rule(path, "plotly_js", plotly_js)
