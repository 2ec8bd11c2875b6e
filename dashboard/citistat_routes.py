"""Form posts for CitiStat sessions, follow-ups, commentary and value reviews, and the memo PDF: parse, call the data
layer, redirect (see :mod:`dashboard.form_posts` for what every post shares)."""

from __future__ import annotations

import logging

from dash import Dash
from flask import Response, request

from dashboard.briefing import briefing
from dashboard.context import current_viewer, gate
from dashboard.documents import brief_html, commitments_html, to_pdf
from dashboard.form_posts import RecordId, post
from data import commentary, followup_store, reviews, session_changes, sessions
from data.errors import Forbidden, NotFound
from data.policy import Viewer
from metrics.values import Verdict

logger = logging.getLogger(__name__)


def register_citistat_routes(app: Dash) -> None:
    server = app.server
    server.url_map.converters["id"] = RecordId
    field = lambda name: request.form.get(name, "")  # noqa: E731

    @server.post("/citistat")
    def create_session() -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            new = session_changes.create_session(
                gate(), viewer, subject=field("subject"), meets_on=field("meets_on"),
                data_cutoff=field("data_cutoff"), attendees=field("attendees"),
                agenda_size=field("agenda_size") or "8", window_months=field("window_months") or "18")
            listed = sessions.agenda(viewer, new)
            count, more = sum(not e.considered for e in listed), sum(e.considered for e in listed)
            if not count:
                return f"/citistat/{new}", "Session created. The rule found no measure to escalate; add any by hand."
            return f"/citistat/{new}", (f"Session created. The agenda takes the {count} most severe measures the rule "
                                        f"suggested" + (f"; {more} more are listed as also considered." if more
                                                        else "."))
        return post("/citistat", act, form="new-session")

    @server.post("/citistat/<id:session_id>/edit")
    def edit_session(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.edit_session(gate(), viewer, session_id, meets_on=field("meets_on"),
                                         data_cutoff=field("data_cutoff"), attendees=field("attendees"))
            return f"/citistat/{session_id}", "Session updated."
        return post(f"/citistat/{session_id}", act, form="edit-session")

    @server.post("/citistat/<id:session_id>/cancel")
    def cancel_session(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.cancel_session(gate(), viewer, session_id, field("reason"))
            return f"/citistat/{session_id}", "Meeting cancelled; it stays on record with your reason."
        return post(f"/citistat/{session_id}", act)

    @server.post("/citistat/<id:session_id>/decisions")
    def record_decision(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.record_decision(gate(), viewer, session_id, field("text"), field("metric"))
            return f"/citistat/{session_id}#record", "Decision recorded."
        return post(f"/citistat/{session_id}#record", act, form="decision")

    @server.post("/citistat/<id:session_id>/decisions/<id:decision_id>/withdraw")
    def strike(session_id: int, decision_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.withdraw_decision(viewer, session_id, decision_id)
            return f"/citistat/{session_id}#record", "Decision struck; it stays on record."
        return post(f"/citistat/{session_id}#record", act)

    @server.post("/follow-ups/<id:follow_up_id>/change")
    def reschedule(follow_up_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            followup_store.change(gate(), viewer, follow_up_id, due_on=field("due_on"),
                                  owner_role=field("owner_role"), owner_agency=field("owner_agency"),
                                  reason=field("reason"))
            return f"/follow-ups/{follow_up_id}", "Follow-up changed; the reason is in its history."
        return post(f"/follow-ups/{follow_up_id}", act, form="change")

    @server.post("/citistat/<id:session_id>/refreeze")
    def refreeze(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.refreeze(gate(), viewer, session_id)
            return f"/citistat/{session_id}", "The snapshot now holds the latest data."
        return post(f"/citistat/{session_id}", act)

    @server.post("/citistat/<id:session_id>/agenda")
    def add_item(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.add_item(gate(), viewer, session_id, field("metric"), field("note"))
            return f"/citistat/{session_id}#agenda", "Measure added to the agenda."
        return post(f"/citistat/{session_id}#agenda", act, form="add-item")

    @server.post("/citistat/<id:session_id>/agenda/<id:item_id>/remove")
    def remove_item(session_id: int, item_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.remove_item(gate(), viewer, session_id, item_id, field("note"))
            return f"/citistat/{session_id}#agenda", "Item taken off the agenda; the reason is kept."
        return post(f"/citistat/{session_id}#agenda", act)

    @server.post("/citistat/<id:session_id>/agenda/<id:item_id>/move")
    def move_item(session_id: int, item_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            session_changes.move_item(gate(), viewer, session_id, item_id, -1 if field("step") == "up" else 1)
            return f"/citistat/{session_id}#agenda", "Agenda reordered."
        return post(f"/citistat/{session_id}#agenda", act)

    @server.post("/citistat/<id:session_id>/follow-ups")
    def assign(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            followup_store.assign(gate(), viewer, session_id, request=field("request"),
                                  owner_role=field("owner_role"), owner_agency=field("owner_agency"),
                                  due_on=field("due_on"), deliverable=field("deliverable"),
                                  metric_ids=[m for m in request.form.getlist("metrics") if m])
            return f"/citistat/{session_id}#follow-ups", "Follow-up assigned."
        return post(f"/citistat/{session_id}#follow-ups", act, form="assign")

    @server.post("/follow-ups/<id:follow_up_id>")
    def report(follow_up_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            progress = field("progress")
            followup_store.report(gate(), viewer, follow_up_id, started=progress in ("in_progress", "done"),
                                  closed=progress == "done", evidence=field("evidence"),
                                  evidence_link=field("evidence_link"))
            return f"/follow-ups/{follow_up_id}", "Follow-up updated."
        return post(f"/follow-ups/{follow_up_id}", act, form="report")

    @server.post("/metrics/<metric_id>/commentary")
    def comment(metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            commentary.add_comment(gate(), viewer, metric_id, period=field("period"),
                                   visibility=field("visibility"), body=field("body"))
            return f"/metrics/{metric_id}#commentary", "Comment published."
        return post(f"/metrics/{metric_id}#commentary", act, form="comment")

    @server.post("/metrics/<metric_id>/reviews")
    def review(metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            verdict = reviews.review_value(gate(), viewer, metric_id, period=field("period"), place=field("place"),
                                           verdict=field("verdict"), reason=field("reason"))
            outcome = ("it counts for status again" if verdict is Verdict.CONFIRMED
                       else "it stays out of every judgement")
            return f"/metrics/{metric_id}#data-quality", f"Review saved: {outcome}."
        return post(f"/metrics/{metric_id}#data-quality", act, form="review")

    @server.post("/commentary/<id:comment_id>/withdraw")
    def withdraw(comment_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            metric_id = commentary.withdraw_comment(gate(), viewer, comment_id)
            return f"/metrics/{metric_id}#commentary", "Comment withdrawn."
        return post("/", act)

    @server.get("/download/citistat/<id:session_id>-<any(brief, commitments):document>.<any(html, pdf):kind>")
    def document(session_id: int, document: str, kind: str) -> Response:
        """The brief or the commitments memo, as a web page or a tagged PDF (one layout)."""
        viewer = current_viewer()
        if not viewer.internal:
            return Response("Sign in first.\n", status=401, mimetype="text/plain")
        try:
            content = briefing(gate(), viewer, session_id)
        except (NotFound, Forbidden):
            return Response("No such session.\n", status=404, mimetype="text/plain")
        render = brief_html if document == "brief" else commitments_html
        page = render(content, gate().registry.city.name, gate().today())
        if kind == "html":
            return Response(page, mimetype="text/html")
        filename = f"citistat-{content.session.meets_on}-{content.session.subject.id}-{document}.pdf"
        try:
            pdf = to_pdf(page)
        except OSError as exc:  # WeasyPrint without Pango: the web page still serves
            logger.error("PDF documents need Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0): %s", exc)
            return Response("The PDF cannot be made on this server right now; the web version is at "
                            f"/download/citistat/{session_id}-{document}.html\n", status=503, mimetype="text/plain")
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
