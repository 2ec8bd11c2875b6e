"""Form posts for CitiStat sessions, follow-ups, commentary and value reviews, and the memo PDF: parse, call the data
layer, redirect (see :mod:`dashboard.form_posts` for what every post shares)."""

from __future__ import annotations

from dash import Dash
from flask import Response, request

from dashboard.briefing import briefing
from dashboard.context import current_viewer, gate
from dashboard.form_posts import RecordId, post
from dashboard.memo_pdf import memo_pdf
from data import commentary, followup_store, reviews, sessions
from data.errors import Forbidden, NotFound
from data.policy import Viewer
from metrics.values import Verdict


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
        return post("/citistat", act, form="new-session")

    @server.post("/citistat/<id:session_id>/refreeze")
    def refreeze(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.refreeze(gate(), viewer, session_id)
            return f"/citistat/{session_id}", "The snapshot now holds the latest data."
        return post(f"/citistat/{session_id}", act)

    @server.post("/citistat/<id:session_id>/agenda")
    def add_item(session_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.add_item(gate(), viewer, session_id, field("metric"), field("note"))
            return f"/citistat/{session_id}#agenda", "Measure added to the agenda."
        return post(f"/citistat/{session_id}#agenda", act, form="add-item")

    @server.post("/citistat/<id:session_id>/agenda/<id:item_id>/remove")
    def remove_item(session_id: int, item_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.remove_item(viewer, session_id, item_id, field("note"))
            return f"/citistat/{session_id}#agenda", "Item taken off the agenda; the reason is kept."
        return post(f"/citistat/{session_id}#agenda", act)

    @server.post("/citistat/<id:session_id>/agenda/<id:item_id>/move")
    def move_item(session_id: int, item_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sessions.move_item(viewer, session_id, item_id, -1 if field("step") == "up" else 1)
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
