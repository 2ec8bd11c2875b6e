"""Form posts of data calls (open, save a draft, submit, return, accept, upload, confirm, targets) and the agency's
workbook download: parse, call the data layer or the pipeline, redirect (see :mod:`dashboard.form_posts`)."""

from __future__ import annotations

from dash import Dash
from flask import Response, request

from dashboard.context import current_viewer, gate
from dashboard.form_posts import post
from data import data_calls, entry_changes, publication, targets, uploads
from data.errors import Forbidden, NotFound
from data.input import InputError
from data.policy import Viewer
from data.workbook import TemplateRow, template
from metrics.formatting import format_value
from metrics.periods import period_label
from metrics.reporting import OUTSTANDING
from metrics.targets import target_for
from metrics.values import CITY
from pipeline import reporting


def register_data_call_routes(app: Dash) -> None:
    server = app.server
    field = lambda name: request.form.get(name, "")  # noqa: E731

    @server.post("/data-calls")
    def open_call() -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            call_id = data_calls.open_call(gate(), viewer, period=field("period"), due_on=field("due_on"))
            count = len(data_calls.entries(gate(), viewer, call_id))
            return f"/data-calls/{call_id}", f"Data call opened: {count} measures assigned to their agencies."
        return post("/data-calls", act, form="open-call")

    @server.post("/data-calls/<id:call_id>/cancel")
    def cancel(call_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            data_calls.cancel_call(gate(), viewer, call_id, field("reason"))
            return f"/data-calls/{call_id}", "Data call cancelled; it stays on record with your reason."
        return post(f"/data-calls/{call_id}", act, form="cancel")

    @server.post("/data-calls/<id:call_id>/measures/<metric_id>")
    def save_draft(call_id: int, metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            checked = entry_changes.save_draft(gate(), viewer, call_id, metric_id, value=field("value"),
                                            numerator=field("numerator"), denominator=field("denominator"),
                                            note=field("note"), prior_note=field("prior_note"))
            saved = f"Draft saved: {checked.value.shown or 'no figure yet'}."
            needs = " It needs a note before it can be submitted." if checked.note_reasons and not field("note") \
                .strip() else ""
            return f"/data-calls/{call_id}/measures/{metric_id}", saved + needs
        return post(f"/data-calls/{call_id}/measures/{metric_id}", act, form="entry")

    @server.post("/data-calls/<id:call_id>/agencies/<agency>/submit")
    def submit(call_id: int, agency: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            count = entry_changes.submit(gate(), viewer, call_id, agency)
            left = sum(e.state in OUTSTANDING for e in data_calls.entries(gate(), viewer, call_id, agency=agency))
            still = f" {left} measure{'s are' if left > 1 else ' is'} still to report." if left else ""
            return f"/data-calls/{call_id}", f"{count} figure{'s' if count > 1 else ''} sent for review.{still}"
        return post(f"/data-calls/{call_id}", act)

    @server.post("/data-calls/<id:call_id>/measures/<metric_id>/return")
    def give_back(call_id: int, metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            entry_changes.return_entry(gate(), viewer, call_id, metric_id, field("reason"))
            return f"/data-calls/{call_id}/measures/{metric_id}", "Returned to the agency with your reason."
        return post(f"/data-calls/{call_id}/measures/{metric_id}#review", act, form="review")

    @server.post("/data-calls/<id:call_id>/measures/<metric_id>/accept")
    def accept(call_id: int, metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            outcome = reporting.accept(gate(), viewer, call_id, metric_id, field("restatement_reason"))
            message = ("Accepted and published." if outcome.published else
                       "Accepted, and held from publishing: " + "; ".join(outcome.blockers) + ".")
            return f"/data-calls/{call_id}/measures/{metric_id}", message
        return post(f"/data-calls/{call_id}/measures/{metric_id}#review", act, form="review")

    @server.post("/data-calls/<id:call_id>/measures/<metric_id>/targets")
    def propose(call_id: int, metric_id: str) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            year = field("fiscal_year")
            if not year.isdigit() or len(year) != 4:
                raise InputError("Fiscal year: choose one of the years offered")
            data_calls.entry(gate(), viewer, call_id, metric_id)
            targets.propose(gate(), viewer, metric_id, fiscal_year=int(year), value=field("value"), note=field("note"))
            return f"/data-calls/{call_id}/measures/{metric_id}#targets", "Target proposed to the performance team."
        return post(f"/data-calls/{call_id}/measures/{metric_id}#targets", act, form="target")

    @server.post("/data-calls/<id:call_id>/targets/<id:proposal_id>")
    def decide(call_id: int, proposal_id: int) -> Response:
        back = f"/data-calls/{call_id}"
        try:
            back = f"/data-calls/{call_id}/measures/{targets.proposal(gate(), current_viewer(), proposal_id).metric.id}"
        except (NotFound, Forbidden):
            pass  # the post says so

        def act(viewer: Viewer) -> tuple[str, str]:
            approve = field("decision") == "approve"
            released = reporting.decide_target(gate(), viewer, proposal_id, approve=approve, note=field("note"))
            more = f" {len(released)} held figure{'s' if len(released) > 1 else ''} published." if released else ""
            return f"{back}#targets", ("Target approved." if approve else "Target declined.") + more
        return post(f"{back}#targets", act)

    @server.post("/data-calls/<id:call_id>/upload")
    def upload(call_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            sent = request.files.get("workbook")
            if sent is None or not sent.filename:
                raise InputError("Workbook: choose a file to upload")
            upload_id = uploads.preview(gate(), viewer, call_id, sent.filename, sent.read())
            return f"/data-calls/{call_id}/uploads/{upload_id}", "Read. Check the changes below, then confirm."
        return post(f"/data-calls/{call_id}/upload", act)

    @server.post("/data-calls/<id:call_id>/uploads/<id:upload_id>/confirm")
    def confirm(call_id: int, upload_id: int) -> Response:
        def act(viewer: Viewer) -> tuple[str, str]:
            saved = uploads.confirm(gate(), viewer, call_id, upload_id)
            return (f"/data-calls/{call_id}", f"{saved} draft{'s' if saved > 1 else ''} saved. Submit your batch "
                    "when every figure is in.")
        return post(f"/data-calls/{call_id}/uploads/{upload_id}", act)

    @server.get("/download/data-calls/<id:call_id>-figures.xlsx")
    def workbook(call_id: int) -> Response:
        viewer = current_viewer()
        if not viewer.internal:
            return Response("Sign in first.\n", status=401, mimetype="text/plain")
        try:
            content = _workbook(viewer, call_id, request.args.get("agency", ""))
        except (NotFound, Forbidden):
            return Response("No such data call.\n", status=404, mimetype="text/plain")
        return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="data-call-{call_id}-figures.xlsx"'})


def _workbook(viewer: Viewer, call_id: int, agency: str) -> bytes:
    """The viewer's measures in the call (one agency's if asked), with their targets and last published figure."""
    registry = gate().registry
    call = data_calls.call(gate(), viewer, call_id)
    fy_start = registry.city.fiscal_year_start_month
    rows = []
    for e in data_calls.entries(gate(), viewer, call_id, agency=agency or None):
        if not viewer.can_enter_for(e.agency) and not viewer.city_wide:
            continue
        m = e.metric
        target = target_for(m, call.period.grain, call.period.start(fy_start), fy_start)
        earlier = [v for v in gate().values(viewer, m.id, grain=call.period.grain.value, geography=CITY)
                   if v.period_start < call.period.start(fy_start)]
        last = (f"{format_value(earlier[-1].value, m.format, m.unit)} "
                f"({period_label(earlier[-1].period_start, call.period.grain, fy_start)})" if earlier else "")
        rows.append(TemplateRow(m.computation.key or m.id, m.title, registry.agencies[e.agency].name,
                                (m.format.value if m.format else "") + (f" ({m.unit})" if m.unit else ""),
                                format_value(target, m.format, m.unit) if target is not None else "", last,
                                e.value, e.numerator, e.denominator, e.note, e.prior_note,
                                "; ".join(publication.blockers(gate(), e))))
    return template(f"{registry.city.name}: {call.period.label} figures, due {call.due_on:%B %-d, %Y}", rows)
