"""Staff form posts, shared by every form: the viewer must be signed in and send the session's form token; the data
layer decides what the viewer may change and audits it. Rejected input returns to the form with a message naming
the field, and what was typed is kept for the form to show again.
"""

from __future__ import annotations

import html
import json
import logging
import urllib.parse
import zlib
from collections.abc import Callable

from flask import Response, flash, redirect, request, session
from werkzeug.routing import IntegerConverter, Map

from dashboard.auth import csrf_ok
from dashboard.context import current_viewer
from data.errors import UNAVAILABLE, Forbidden, NotFound, describe
from data.input import InputError
from data.policy import Viewer

logger = logging.getLogger(__name__)

KEPT_FORM_BYTES = 2400  # compressed; browsers drop a session cookie beyond 4 KB, and the session with it
NOT_SAVED = ("Not saved: the data is busy or cannot be reached right now. What you typed is kept below; "
             "please submit it again in a minute.")
Action = Callable[[Viewer], tuple[str, str]]  # does the write; gives (where to go next, what happened)


def recalled(form: str) -> dict[str, str]:
    """What the viewer typed into ``form`` before it was rejected (once; empty otherwise)."""
    kept = session.pop(f"form:{form}", None)
    return kept if isinstance(kept, dict) else {}


def post(back: str, action: Action, form: str | None = None) -> Response:
    try:
        viewer = current_viewer()
        if not viewer.internal:
            return sign_in_first(back)
        if not csrf_ok():
            flash("The form expired. Please try again.", _category("danger", back))
            return go(back)
        target, message = action(viewer)
    except InputError as exc:
        return _returned(back, form, str(exc))
    except Forbidden:
        return Response("Not available to your account.\n", status=403, mimetype="text/plain")
    except NotFound:
        return Response("Not found.\n", status=404, mimetype="text/plain")
    except UNAVAILABLE as exc:
        logger.warning("a staff change to %s was not saved: %s", back, describe(exc))
        return _returned(back, form, NOT_SAVED)
    flash(message, _category("success", target))
    return go(target)


def _returned(back: str, form: str | None, message: str) -> Response:
    """Back to the form with ``message``; what was typed is kept (in the session cookie) for the form to show."""
    if form:
        typed = {k: v for k, v in request.form.items() if k != "csrf"}
        if len(zlib.compress(json.dumps(typed).encode())) <= KEPT_FORM_BYTES:
            session[f"form:{form}"] = typed
        else:
            message += " The text was too long to keep here: use your browser's Back button to copy it."
    flash(message, _category("danger", back))
    return go(back)


def _category(colour: str, address: str) -> str:
    """A message's colour and the part of the page it belongs to (the address's anchor), for ``flashes``."""
    section = address.partition("#")[2]
    return f"{colour}:{section}" if section else colour


def go(path: str) -> Response:
    """A redirect to one of our pages; an id from the address is quoted (a raw line break cannot be sent)."""
    return redirect(urllib.parse.quote(path, safe="/#"))  # type: ignore[return-value]


class RecordId(IntegerConverter):
    """A stored record's id in an address: a positive whole number that fits its column (else 404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def sign_in_first(back: str) -> Response:
    """401 for a post without a signed-in viewer (a sign-in that ended, or none): a page that links to sign-in."""
    link = html.escape("/sign-in?" + urllib.parse.urlencode({"next": back.partition("#")[0]}))
    body = (f'<!DOCTYPE html><html lang="en"><head><title>Sign in to continue</title></head><body><main>'
            f'<h1>Sign in to continue</h1><p>You are not signed in, or your sign-in has ended, so nothing was saved.'
            f'</p><p><a href="{link}">Sign in</a> and send the form again.</p></main></body></html>')
    return Response(body, status=401, mimetype="text/html")
