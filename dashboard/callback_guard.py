"""Refuses malformed callback requests with 400 before Dash sees them (Dash answers those with a 500).

A well-formed request names a registered server-side callback, sends exactly its inputs and state (same
ids and properties, in order) with string or empty values (a pathname starting with "/"), names its outputs in
the shape the callback has, and lists which of them changed.
"""

from __future__ import annotations

import logging
from typing import Any

from dash import Dash
from flask import Response, request

logger = logging.getLogger(__name__)


def well_formed(payload: Any, callbacks: dict[str, Any]) -> bool:
    if not isinstance(payload, dict):
        return False
    output = payload.get("output")
    spec = callbacks.get(output) if isinstance(output, str) else None
    if spec is None or not callable(spec.get("callback")):
        return False
    for key in ("inputs", "state"):
        given, expected = payload.get(key, []), spec.get(key, [])
        if not isinstance(given, list) or len(given) != len(expected):
            return False
        for item, declared in zip(given, expected, strict=True):
            if not isinstance(item, dict) or item.get("id") != declared["id"] \
                    or item.get("property") != declared["property"] or not isinstance(item.get("value"), str | None):
                return False
            if item["property"] == "pathname" and not (item["value"] is None or item["value"].startswith("/")):
                return False
    changed = payload.get("changedPropIds", [])
    return isinstance(changed, list) and all(isinstance(c, str) for c in changed) \
        and _outputs_fit(payload.get("outputs"), str(output))


def _outputs_fit(outputs: Any, output: str) -> bool:
    """One output is an ``{id, property}`` object; several (``..a.b...c.d..``) a list of them, one each."""
    def named(item: Any) -> bool:
        return isinstance(item, dict) and isinstance(item.get("id"), str | dict) and isinstance(item.get("property"),
                                                                                               str)
    if output.startswith(".."):
        return isinstance(outputs, list) and len(outputs) == output.count("...") + 1 and all(map(named, outputs))
    return named(outputs)


def install(app: Dash) -> None:
    endpoint = f"{app.config.routes_pathname_prefix}_dash-update-component"

    @app.server.before_request
    def _refuse_malformed() -> Response | None:
        if request.method != "POST" or request.path != endpoint:
            return None
        try:
            payload = request.get_json(silent=True)
        except RecursionError:  # JSON nested deeper than Python can parse: never a real callback
            payload = None
        if well_formed(payload, app.callback_map):
            return None
        logger.info("refused a malformed callback request from %s", request.remote_addr)
        return Response('{"error": "malformed callback request"}', status=400, mimetype="application/json")
