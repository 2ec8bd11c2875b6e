"""Rendered pages, cached per address, viewer scope and the versions of what they show.

Dash renders a page through one callback (the page router). Its response depends only on the path, the query
string, what the viewer's scope may see, the day (status ages), the data, and the commentary (for visitors) or
every audited change (for staff), so the bytes are reused until any of those changes. A staff page's form
token is stored as a placeholder and each session's own token is put back when the page is served. Nothing
is cached for a visitor with a flash message or a rejected form waiting to be shown, or for sign-in.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Hashable

from dash import Dash
from flask import Response, g, request, session

from dashboard.auth import csrf_token
from dashboard.page_table import ALWAYS_OPEN, READ_PARAMETERS

ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
MAX_ENTRIES = 512
FORM_TOKEN = b'"csrf"'
TOKEN_PLACEHOLDER = b"@@form-token@@"


def normal(path: str | None) -> str | None:
    """``//sign-in/`` → ``/sign-in``: the page a path names, however its slashes are spelt."""
    return None if path is None else "/" + "/".join(part for part in path.split("/") if part)


def read_part(search: str | None) -> str:
    """The query parameters some page reads, in order: the others do not change what is rendered."""
    if not search or not search.startswith("?"):
        return ""  # Dash's router reads no parameters then
    pairs = urllib.parse.parse_qsl(search[1:], keep_blank_values=True)
    return urllib.parse.urlencode([(k, v) for k, v in pairs if k in READ_PARAMETERS])


class PageCache:
    def __init__(self, context: Callable[[], Hashable | None], max_entries: int = MAX_ENTRIES) -> None:
        self._context = context  # scope, day and versions; None for a request not to cache
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def key(self) -> Hashable | None:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or payload.get("output") != ROUTER_OUTPUT:
            return None
        inputs = {(i.get("id"), i.get("property")): i.get("value") for i in payload.get("inputs", [])
                  if isinstance(i, dict)}
        address = (inputs.get(("_pages_location", "pathname")), inputs.get(("_pages_location", "search")))
        if not all(isinstance(part, str | None) for part in address) or normal(address[0]) in ALWAYS_OPEN:
            return None  # sign-in and sign-out carry a form token
        address = (address[0], read_part(address[1]))  # ?utm_source=… renders (and is kept) once
        if session.get("_flashes") or any(key.startswith("form:") for key in session):
            return None  # a message or typed text for this visitor only (e.g. "The form expired")
        context = self._context()
        return None if context is None else (address, context)

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            self._entries[key] = body
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def install(self, app: Dash) -> None:
        server = app.server
        endpoint = f"{app.config.routes_pathname_prefix}_dash-update-component"

        @server.before_request
        def _serve_cached() -> Response | None:
            if request.method != "POST" or request.path != endpoint:
                return None
            key = self.key()
            if key is None:
                return None
            body = self.get(key)
            if body is not None:
                if TOKEN_PLACEHOLDER in body:
                    body = body.replace(TOKEN_PLACEHOLDER, csrf_token().encode())
                return Response(body, mimetype="application/json")
            g.page_cache_key = key
            return None

        @server.after_request
        def _remember(response: Response) -> Response:
            key = g.pop("page_cache_key", None)
            if key is None or response.status_code != 200 or response.direct_passthrough:
                return response
            body = response.get_data()
            token = str(session.get("csrf", "")).encode()
            if token and token in body:
                body = body.replace(token, TOKEN_PLACEHOLDER)
            if FORM_TOKEN not in body or TOKEN_PLACEHOLDER in body:  # never one visitor's token for another
                self.put(key, body)
            return response
