"""One CitiStat session ``/citistat/<id>``: the frozen agenda, what changed since the last session, follow-ups."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.briefing import Briefing, Item, briefing
from dashboard.components import (
    aria,
    assessment_chip,
    breadcrumb,
    csrf_field,
    flashes,
    follow_up_table,
    post_button,
    scroll_region,
)
from dashboard.context import current_viewer, gate
from dashboard.form_posts import recalled
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from metrics.escalation import Reason
from metrics.followups import Deliverable

dash.register_page(__name__, **dash_page(__name__))
REASON_LABELS = {Reason.MISSED_TWICE: "Missed twice", Reason.PROJECTED_MISS: "Projected miss", Reason.STALE: "Stale"}


@guarded
def layout(session_id: str = "") -> html.Div:
    content = briefing(gate(), current_viewer(), record_id(session_id, "session"))
    s = content.session
    manage = current_viewer().can_manage
    actions: list[Any] = [dcc.Link("Briefing memo (printable)", href=f"/citistat/{s.id}/memo",
                                   className="btn btn-primary btn-sm me-2"),
               html.A("Download memo (PDF)", href=f"/download/citistat/{s.id}-memo.pdf",
                      className="btn btn-outline-primary btn-sm me-2")]
    if manage and content.today <= s.meets_on:
        actions.append(post_button(f"/citistat/{s.id}/refreeze", "Take the latest data",
                                   description="Refresh the snapshot with the latest data and add new suggestions"))
    return html.Div([
        breadcrumb([("CitiStat", "/citistat"), (f"{content.subject}, {s.meets_on}", None)]),
        html.H1(f"CitiStat: {content.subject}"),
        html.P(f"{s.summary}: later restatements do not change this page.", className="lead"),
        html.P(f"Attendees: {s.attendee_list}") if s.attendees else None,
        *flashes(),
        html.Div(actions, className="session-actions mb-3"),
        html.H2("Agenda", className="h4 mt-4", id="agenda"),
        _agenda(content, manage),
        _removed(content, manage),
        _add_item(content) if manage and content.candidates else None,
        _changes(content),
        html.H2("Follow-ups", className="h4 mt-4", id="follow-ups"),
        follow_up_table(content.assigned, "Assigned in this session", content.agency_names, content.today),
        html.H3("Carried over from earlier sessions", className="h5 mt-3"),
        follow_up_table(content.carried, "Carried over, still open at this meeting", content.agency_names,
                        content.today),
        _assign_form(content) if manage else None,
    ])


def _agenda(content: Briefing, manage: bool) -> Any:
    if not content.items:
        return html.P("Nothing on the agenda: the rule found no measure to escalate.")
    head = ["#", "Measure", "Status at cutoff", "Latest", "Target", "Why", *(["Edit"] if manage else [])]
    rows = []
    for number, item in enumerate(content.items, start=1):
        e = item.entry
        why: list[Any] = [html.Span(REASON_LABELS[r], className="badge text-bg-light me-1") for r in e.reasons]
        why.append(html.Div(e.explanation or f"Added by the analyst: {e.analyst_note}", className="small"))
        why += [html.Div(f"Commentary, {c.author}: {c.body}", className="small text-muted") for c in item.comments]
        cells = [html.Td(str(number)),
                 html.Th(dcc.Link(item.metric.title, href=f"/metrics/{item.metric.id}"), scope="row"),
                 html.Td(assessment_chip(item.assessment)), html.Td(item.fmt(item.assessment.value)),
                 html.Td(item.fmt(item.assessment.target)), html.Td(why)]
        if manage:
            cells.append(html.Td(_item_controls(content, item, number)))
        rows.append(html.Tr(cells))
    return scroll_region(html.Table([html.Caption("Agenda, in order"),
                                     html.Thead(html.Tr([html.Th(h, scope="col") for h in head])), html.Tbody(rows)],
                                    className="table agenda-table"), "Agenda")


def _item_controls(content: Briefing, item: Item, number: int) -> html.Div:
    base = f"/citistat/{content.session.id}/agenda/{item.entry.id}"
    title = item.metric.title
    return html.Div([
        post_button(f"{base}/move", "↑", hidden={"step": "up"}, description=f"Move item {number} up: {title}"),
        post_button(f"{base}/move", "↓", hidden={"step": "down"}, description=f"Move item {number} down: {title}"),
        html.Form([csrf_field(),
                   dbc.Label(f"Reason to remove item {number}", html_for=f"remove-{item.entry.id}",
                             className="visually-hidden"),
                   dbc.Input(id=f"remove-{item.entry.id}", name="note", size="sm", placeholder="Reason to remove",
                             required=True, className="d-inline-block w-auto"),
                   html.Button("Remove", type="submit", className="btn btn-sm btn-outline-danger",
                               **aria(label=f"Remove item {number}: {title}"))],
                  action=f"{base}/remove", method="post", className="d-inline-flex gap-1 mt-1"),
    ], className="item-controls")


def _removed(content: Briefing, manage: bool) -> Any:
    if not content.removed:
        return None
    rows = [html.Li([dcc.Link(i.metric.title, href=f"/metrics/{i.metric.id}"), f": removed ({i.entry.analyst_note})",
                     " ", post_button(f"/citistat/{content.session.id}/agenda", "Put back",
                                      hidden={"metric": i.metric.id, "note": "Put back on the agenda"},
                                      description=f"Put back: {i.metric.title}") if manage else None])
            for i in content.removed]
    return html.Details([html.Summary(f"Taken off the agenda ({len(rows)})"), html.Ul(rows)], className="mt-2")


def _add_item(content: Briefing) -> html.Form:
    typed = recalled("add-item")
    options = [{"label": m.title, "value": m.id} for m in content.candidates]
    return html.Form([
        csrf_field(),
        html.H3("Add a measure", className="h6 mt-3"),
        dbc.Row([
            dbc.Col([dbc.Label("Measure", html_for="add-metric"),
                     dbc.Select(id="add-metric", name="metric", options=options,
                                value=typed.get("metric", options[0]["value"]))], md=6),
            dbc.Col([dbc.Label("Reason", html_for="add-note"),
                     dbc.Input(id="add-note", name="note", required=True, value=typed.get("note", ""))], md=4),
            dbc.Col(dbc.Button("Add to agenda", type="submit", color="secondary", className="mt-4"), md=2),
        ], className="g-2 align-items-end"),
    ], action=f"/citistat/{content.session.id}/agenda", method="post", className="add-item-form")


def _changes(content: Briefing) -> Any:
    previous = content.previous
    if previous is None:
        return html.Div([html.H2("What changed since the last session", className="h4 mt-4"),
                         html.P("This is the first session on this subject.")])
    rows = []
    for item in content.items:
        change = item.change
        if change is None:
            continue
        before = change.before
        then = f"{before.status.label}, {item.fmt(before.value)}" if before else "Not reviewed"
        revised = "; ".join(f"{p}: {item.fmt(a)} → {item.fmt(b)}" for p, a, b in change.restated) or "None"
        rows.append(html.Tr([html.Th(item.metric.title, scope="row"), html.Td(then),
                             html.Td(f"{item.assessment.status.label}, {item.fmt(item.assessment.value)}"),
                             html.Td(revised)]))
    head = html.Tr([html.Th(h, scope="col") for h in
                    ("Measure", f"At the {previous.meets_on} session", "Now", "Values restated since")])
    return html.Div([
        html.H2("What changed since the last session", className="h4 mt-4"),
        html.P([dcc.Link(f"Session of {previous.meets_on:%B %-d, %Y}", href=f"/citistat/{previous.id}"),
                f" (data through {previous.data_cutoff})."]),
        scroll_region(html.Table([html.Caption("Each agenda measure then and now"), html.Thead(head),
                                  html.Tbody(rows)], className="table table-sm"), "Changes since the last session"),
    ])


def _assign_form(content: Briefing) -> html.Form:
    typed = recalled("assign")
    s = content.session
    agencies = sorted(content.agency_names.items(), key=lambda kv: kv[1])
    default_agency = s.subject.id if s.subject.kind.value == "agency" else agencies[0][0]
    measures = [{"label": i.metric.title, "value": i.metric.id} for i in content.items]
    return html.Form([
        csrf_field(),
        html.H3("Assign a follow-up", className="h5 mt-4"),
        html.Div([dbc.Label("What is asked", html_for="fu-request"),
                  dbc.Textarea(id="fu-request", name="request", rows=2, required=True,
                               value=typed.get("request", ""))], className="mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label("Owner role", html_for="fu-role"),
                     dbc.Input(id="fu-role", name="owner_role", required=True, value=typed.get("owner_role", ""),
                               placeholder="Deputy Director, Operations")], md=4),
            dbc.Col([dbc.Label("Owner agency", html_for="fu-agency"),
                     dbc.Select(id="fu-agency", name="owner_agency", value=typed.get("owner_agency", default_agency),
                                options=[{"label": n, "value": k} for k, n in agencies])], md=4),
            dbc.Col([dbc.Label("Due date", html_for="fu-due"),
                     dbc.Input(id="fu-due", name="due_on", type="date", required=True,
                               value=typed.get("due_on", ""))], md=2),
            dbc.Col([dbc.Label("Deliverable", html_for="fu-deliverable"),
                     dbc.Select(id="fu-deliverable", name="deliverable", value=typed.get("deliverable", "memo"),
                                options=[{"label": d.label, "value": d.value} for d in Deliverable])], md=2),
        ], className="g-2"),
        html.Div([dbc.Label("Linked measures (optional; Ctrl or ⌘ to pick several)", html_for="fu-metrics"),
                  html.Select([html.Option(m["label"], value=m["value"]) for m in measures], id="fu-metrics",
                              name="metrics", multiple=True, size=4, className="form-select")], className="mt-2"),
        dbc.Button("Assign follow-up", type="submit", color="primary", className="mt-3"),
    ], action=f"/citistat/{s.id}/follow-ups", method="post", className="assign-form")
