"""One data call ``/data-calls/<id>``: progress by agency, the measures by state, and what an agency does next
(enter figures, upload a workbook, submit its batch) or the performance team (review, publish)."""

from __future__ import annotations

import urllib.parse
from collections import Counter
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import alert, aria, breadcrumb, csrf_field, flashes, post_button
from dashboard.context import current_viewer, gate, today
from dashboard.data_call_views import ORDER, entries_table, progress_table, state_counts
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from dashboard.views import choice
from data import data_calls, targets
from data.data_calls import Call, Entry
from data.policy import Viewer
from metrics.reporting import EntryState

dash.register_page(__name__, **dash_page(__name__))
LISTED_AT_ONCE = 60  # a longer list waits for an agency or a state to be chosen


@guarded
def layout(call_id: str = "", **query: Any) -> html.Div:
    viewer, day, registry = current_viewer(), today(), gate().registry
    call = data_calls.call(gate(), viewer, record_id(call_id, "data call"))
    everything = data_calls.entries(gate(), viewer, call.id)
    names = {a.id: a.name for a in registry.agencies.values()}
    agencies = sorted({e.agency for e in everything}, key=lambda a: names.get(a, a))
    agency = choice(query, "agency", agencies)
    state = choice(query, "state", [s.value for s in ORDER])
    shown = [e for e in everything if (agency is None or e.agency == agency) and (state is None or e.state == state)]
    listed = len(shown) <= LISTED_AT_ONCE or agency is not None or state is not None
    counts = Counter(e.state for e in everything)
    overdue = sum(e.overdue(day) for e in everything)
    due = (f"Figures for {call.period.label} were due on {call.due_on:%A, %B %-d, %Y}"
           + (f": {overdue} {'are' if overdue != 1 else 'is'} overdue." if overdue else ".")
           if call.overdue_on(day) else f"Figures for {call.period.label} are due on {call.due_on:%A, %B %-d, %Y}.")
    return html.Div([
        breadcrumb([("Data calls", "/data-calls"), (call.period.label, None)]),
        html.H1(f"{call.period.label} data call"),
        html.P(f"{due} Opened by {call.opened_by}.", className="lead"),
        *flashes(),
        alert(f"This data call was cancelled: {call.cancelled}", "warning") if call.cancelled else None,
        state_counts(counts, overdue, len(everything)),
        None if call.cancelled else _next_steps(viewer, call, everything, agencies, names),
        _waiting_targets(viewer, call, {e.metric.id for e in everything}) if viewer.can_review_reports else None,
        html.H2("Progress by agency", className="h4 mt-4") if len(agencies) > 1 else None,
        progress_table(data_calls.progress(gate(), viewer, call.id, day), names, call) if len(agencies) > 1 else None,
        html.H2("Measures", className="h4 mt-4", id="measures"),
        _filters(call, agency, state, [(a, names.get(a, a)) for a in agencies]),
        html.P(f"{len(shown)} of {len(everything)} measures.", className="result-count", role="status")
        if listed else html.P(f"{len(everything)} measures: choose an agency or a state to list them.",
                              className="empty", role="status"),
        entries_table(shown, names, day, f"{call.period.label}: measures", show_agency=len(agencies) > 1
                      and agency is None) if listed else None,
        _cancel_form(call) if viewer.can_review_reports and not call.cancelled
        and not counts[EntryState.ACCEPTED] else None,
    ])


def _cancel_form(call: Call) -> html.Section:
    return html.Section([
        html.H2("Cancel this data call", className="h4 mt-5"),
        html.P("For a call opened by mistake, while no figure of it is accepted. It stays on record with the reason; "
               "agencies no longer see it as due, and the period can be opened again.", className="text-muted"),
        html.Form([
            csrf_field(),
            dbc.Label("Reason for cancelling", html_for="cancel-reason"),
            dbc.Input(id="cancel-reason", name="reason", required=True, maxLength=400),
            dbc.Button("Cancel the data call", type="submit", color="danger", outline=True, className="mt-2"),
        ], action=f"/data-calls/{call.id}/cancel", method="post", className="cancel-form"),
    ])


def _next_steps(viewer: Viewer, call: Call, entries: list[Entry], agencies: list[str],
                names: dict[str, str]) -> html.Section | None:
    """What the viewer can do now: upload or submit for its agencies; review what was submitted."""
    actions: list[Any] = []
    if viewer.enters_figures:
        own = [a for a in agencies if viewer.can_enter_for(a)] if not viewer.can_review_reports else []
        actions.append(html.P([
            html.A("Download the workbook of every agency's measures" if viewer.can_review_reports else
                   "Download the workbook of your measures", href=_template(call, own), className="me-3"),
            html.A("Upload a filled workbook", href=f"/data-calls/{call.id}/upload")]))
        for agency in agencies:  # the team submits what it entered on an agency's behalf
            mine = [e for e in entries if e.agency == agency]
            drafts = sum(e.state is EntryState.DRAFT for e in mine)
            left = sum(e.state in (EntryState.NOT_STARTED, EntryState.RETURNED) for e in mine)
            if drafts and viewer.can_enter_for(agency):
                actions.append(html.P([
                    f"{names.get(agency, agency)}: {drafts} draft{'s' if drafts > 1 else ''} ready"
                    + (f", {left} measure{'s' if left > 1 else ''} still to report. " if left else ". "),
                    post_button(f"/data-calls/{call.id}/agencies/{agency}/submit",
                                f"Submit {drafts} draft{'s' if drafts > 1 else ''} for review", color="primary",
                                description=f"Submit {names.get(agency, agency)}'s drafts for review")]))
    if viewer.can_review_reports:
        submitted = sum(e.state is EntryState.SUBMITTED for e in entries)
        held = [e for e in entries if e.held]
        if submitted:
            actions.append(html.P(html.A(f"Review {submitted} submitted figure{'s' if submitted > 1 else ''}",
                                         href=f"/data-calls/{call.id}?state=submitted#measures")))
        if held:
            actions.append(html.P(f"{len(held)} accepted figure{'s are' if len(held) > 1 else ' is'} held from "
                                  "publishing until a prior-year note or a target is added; each measure's page says "
                                  "what is missing."))
    return html.Section([html.H2("Next steps", className="h4 mt-4"), *actions], className="next-steps") \
        if actions else None


def _template(call: Call, agencies: list[str]) -> str:
    query = urllib.parse.urlencode({"agency": agencies[0]}) if len(agencies) == 1 else ""
    return f"/download/data-calls/{call.id}-figures.xlsx" + (f"?{query}" if query else "")


def _waiting_targets(viewer: Viewer, call: Call, metric_ids: set[str]) -> html.Section | None:
    waiting = targets.proposals(gate(), viewer, metric_ids=metric_ids, waiting=True)
    if not waiting:
        return None
    items = [html.Li([html.A(p.metric.title, href=f"/data-calls/{call.id}/measures/{p.metric.id}#targets"),
                      f": FY{p.fiscal_year} target {p.shown}, proposed by {p.proposed_by}"]) for p in waiting]
    return html.Section([html.H2(f"Targets waiting for approval ({len(waiting)})", className="h4 mt-4"),
                         html.Ul(items)])


def _filters(call: Call, agency: str | None, state: str | None, agencies: list[tuple[str, str]]) -> html.Form:
    fields = [dbc.Col([dbc.Label("State", html_for="filter-state"),
                       dbc.Select(id="filter-state", name="state", value=state or "", placeholder="Every state",
                                  options=[{"label": "Every state", "value": ""}]
                                  + [{"label": s.label, "value": s.value} for s in ORDER])], md=4)]
    if len(agencies) > 1:
        fields.append(dbc.Col([dbc.Label("Agency", html_for="filter-agency"),
                               dbc.Select(id="filter-agency", name="agency", value=agency or "",
                                          placeholder="Every agency",
                                          options=[{"label": "Every agency", "value": ""}]
                                          + [{"label": n, "value": k} for k, n in agencies])], md=5))
    fields.append(dbc.Col(dbc.Button("Apply filters", type="submit", color="primary", className="mt-4"), md=3))
    return html.Form(dbc.Row(fields, className="g-3 align-items-end"), action=f"/data-calls/{call.id}",
                     method="get", className="filters", **aria(label="Filter measures"))
