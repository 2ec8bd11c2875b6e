"""Form posts for CitiStat sessions, follow-ups, commentary and value reviews, and the memo PDF: parse, call the data
layer, redirect.

Every post needs the session's CSRF token and a signed-in viewer; the data layer decides what the viewer may
change and audits it. Rejected input returns to the form with a message naming the field, and what was typed
is kept for the form to show again.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import zlib
from collections.abc import Callable

from dash import Dash
from flask import Response, flash, redirect, request, session
from werkzeug.routing import IntegerConverter, Map

from dashboard.auth import csrf_ok
from dashboard.briefing import briefing
from dashboard.context import current_viewer, gate
from dashboard.memo_pdf import memo_pdf
from data import commentary, followup_store, reviews, sessions
from data.errors import UNAVAILABLE, Forbidden, NotFound, describe
from data.input import InputError
from data.policy import Viewer
from metrics.values import Verdict

logger = logging.getLogger(__name__)

KEPT_FORM_BYTES = 2400  # compressed; browsers drop a session cookie beyond 4 KB, and the session with it
NOT_SAVED = ("Not saved: the data is busy or cannot be reached right now. What you typed is kept below; "
             "please submit it again in a minute.")
Action = Callable[[Viewer], tuple[str, str]]  # does the write; gives (where to go next, what happened)


def recalled(form: str) -> dict[str, str]:
    """What the viewer typed into ``form`` before it was rejected (once; empty otherwise)."""
    kept = session.pop(f"form:{form}", None)
    return kept if isinstance(kept, dict) else {}


def _post(back: str, action: Action, form: str | None = None) -> Response:
    try:
        viewer = current_viewer()
        if not viewer.internal:
            return redirect("/sign-in?" + urllib.parse.urlencode({"next": back}))  # type: ignore[return-value]
        if not csrf_ok():
            flash("The form expired. Please try again.", _category("danger", back))
            return _go(back)
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
    return _go(target)


def _returned(back: str, form: str | None, message: str) -> Response:
    """Back to the form with ``message``; what was typed is kept (in the session cookie) for the form to show."""
    if form:
        typed = {k: v for k, v in request.form.items() if k != "csrf"}
        if len(zlib.compress(json.dumps(typed).encode())) <= KEPT_FORM_BYTES:
            session[f"form:{form}"] = typed
        else:
            message += " The text was too long to keep here: use your browser's Back button to copy it."
    flash(message, _category("danger", back))
    return _go(back)


def _category(colour: str, address: str) -> str:
    """A message's colour and the part of the page it belongs to (the address's anchor), for ``flashes``."""
    section = address.partition("#")[2]
    return f"{colour}:{section}" if section else colour


def _go(path: str) -> Response:
    """A redirect to one of our pages; an id from the address is quoted (a raw line break cannot be sent)."""
    return redirect(urllib.parse.quote(path, safe="/#"))  # type: ignore[return-value]


class RecordId(IntegerConverter):
    """A stored record's id in an address: a positive whole number that fits its column (else 404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def register_citistat_routes(app: Dash) -> None:
    server = app.server
    server.url_map.converters["id"] = RecordId
    field = lambda name: request.form.get(name, "")  # noqa: E731

    @server.post("/citistat")
    def create_session() -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            new = sessions.create_session(gate(), viewer, subject=field("subject"), meets_on=field("meets_on"),
                                          data_cutoff=field("data_cutoff"), attendees=field("attendees"))
            count = len([e for e in sessions.agenda(viewer, new) if not e.removed])
            return f"/citistat/{new}", f"Session created. The rule suggested {count} measures for the agenda."
        return _post("/citistat", act, form="new-session")

    @server.post("/citistat/<id:session_id>/refreeze")
    def refreeze(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.refreeze(gate(), viewer, session_id)
            return f"/citistat/{session_id}", "The snapshot now holds the latest data."
        return _post(f"/citistat/{session_id}", act)

    @server.post("/citistat/<id:session_id>/agenda")
    def add_item(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.add_item(gate(), viewer, session_id, field("metric"), field("note"))
            return f"/citistat/{session_id}#agenda", "Measure added to the agenda."
        return _post(f"/citistat/{session_id}#agenda", act, form="add-item")

    @server.post("/citistat/<id:session_id>/agenda/<id:item_id>/remove")
    def remove_item(session_id: int, item_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.remove_item(viewer, session_id, item_id, field("note"))
            return f"/citistat/{session_id}#agenda", "Item taken off the agenda; the reason is kept."
        return _post(f"/citistat/{session_id}#agenda", act)

    @server.post("/citistat/<id:session_id>/agenda/<id:item_id>/move")
    def move_item(session_id: int, item_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.move_item(viewer, session_id, item_id, -1 if field("step") == "up" else 1)
            return f"/citistat/{session_id}#agenda", "Agenda reordered."
        return _post(f"/citistat/{session_id}#agenda", act)

    @server.post("/citistat/<id:session_id>/follow-ups")
    def assign(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            followup_store.assign(gate(), viewer, session_id, request=field("request"),
                                  owner_role=field("owner_role"), owner_agency=field("owner_agency"),
                                  due_on=field("due_on"), deliverable=field("deliverable"),
                                  metric_ids=[m for m in request.form.getlist("metrics") if m])
            return f"/citistat/{session_id}#follow-ups", "Follow-up assigned."
        return _post(f"/citistat/{session_id}#follow-ups", act, form="assign")

    @server.post("/follow-ups/<id:follow_up_id>")
    def report(follow_up_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            progress = field("progress")
            followup_store.report(gate(), viewer, follow_up_id, started=progress in ("in_progress", "done"),
                                  closed=progress == "done", evidence=field("evidence"),
                                  evidence_link=field("evidence_link"))
            return f"/follow-ups/{follow_up_id}", "Follow-up updated."
        return _post(f"/follow-ups/{follow_up_id}", act, form="report")

    @server.post("/metrics/<metric_id>/commentary")
    def comment(metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            commentary.add_comment(gate(), viewer, metric_id, period=field("period"),
                                   visibility=field("visibility"), body=field("body"))
            return f"/metrics/{metric_id}#commentary", "Comment published."
        return _post(f"/metrics/{metric_id}#commentary", act, form="comment")

    @server.post("/metrics/<metric_id>/reviews")
    def review(metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            verdict = reviews.review_value(gate(), viewer, metric_id, period=field("period"), place=field("place"),
                                           verdict=field("verdict"), reason=field("reason"))
            outcome = ("it counts for status again" if verdict is Verdict.CONFIRMED
                       else "it stays out of every judgement")
            return f"/metrics/{metric_id}#data-quality", f"Review saved: {outcome}."
        return _post(f"/metrics/{metric_id}#data-quality", act, form="review")

    @server.post("/commentary/<id:comment_id>/withdraw")
    def withdraw(comment_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            metric_id = commentary.withdraw_comment(gate(), viewer, comment_id)
            return f"/metrics/{metric_id}#commentary", "Comment withdrawn."
        return _post("/", act)

    @server.get("/download/citistat/<id:session_id>-memo.pdf")
    def memo(session_id: int) -> Response:
        viewer = current_viewer()
        if not viewer.internal:
            return Response("Sign in first.\n", status=401, mimetype="text/plain")
        try:
            content = briefing(gate(), viewer, session_id)
        except (NotFound, Forbidden):
            return Response("No such session.\n", status=404, mimetype="text/plain")
        filename = f"citistat-{content.session.meets_on}-{content.session.subject.id}.pdf"
        return Response(memo_pdf(content, gate().registry.city.name), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
