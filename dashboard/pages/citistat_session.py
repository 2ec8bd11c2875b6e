"""One CitiStat session ``/citistat/<id>``: the ranked agenda, what changed since the last session, the brief and
the commitments memo, the meeting's record and its follow-ups; the performance team edits it before the meeting."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.briefing import Briefing, briefing
from dashboard.components import alert, breadcrumb, csrf_field, flashes, follow_up_table, post_button
from dashboard.context import current_viewer, gate
from dashboard.form_posts import recalled
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from dashboard.session_views import agenda_cards, changes, decisions_section, set_aside
from metrics.followups import Deliverable

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(session_id: str = "") -> html.Div:
    content = briefing(gate(), current_viewer(), record_id(session_id, "session"))
    s = content.session
    manage = current_viewer().can_manage
    upcoming = s.cancelled is None and gate().today() <= s.meets_on
    return html.Div([
        breadcrumb([("CitiStat", "/citistat"), (f"{content.subject}, {s.meets_on}", None)]),
        html.H1(f"CitiStat: {content.subject}"),
        html.P(f"{s.summary}: later restatements do not change this page.", className="lead"),
        alert(f"This meeting was cancelled: {s.cancelled}", "warning") if s.cancelled else None,
        html.P(f"Attendees: {s.attendee_list}") if s.attendees else None,
        *flashes(),
        _documents(content, manage and upcoming),
        html.H2(_agenda_heading(len(content.items), s.agenda_size), className="h4 mt-4",
                id="agenda"),
        agenda_cards(content, manage and upcoming),  # the agenda stays as it was in the room
        *set_aside(content, manage and upcoming),
        _add_item(content) if manage and upcoming and content.candidates else None,
        changes(content),
        decisions_section(content, manage),
        html.H2("Follow-ups", className="h4 mt-4", id="follow-ups"),
        follow_up_table(content.assigned, "Commitments made in this session", content.agency_names, content.today),
        html.H3("Carried over from earlier sessions", className="h5 mt-3"),
        follow_up_table(content.carried, "Carried over, still open at this meeting", content.agency_names,
                        content.today),
        _assign_form(content) if manage and s.cancelled is None else None,
        _edit_form(content) if manage and upcoming else None,
    ])


def _documents(content: Briefing, before_meeting: bool) -> html.Div:
    s = content.session
    links: list[Any] = [
        html.A("Brief", href=f"/download/citistat/{s.id}-brief.html", className="btn btn-primary btn-sm me-2"),
        html.A("Brief (PDF)", href=f"/download/citistat/{s.id}-brief.pdf", className="btn btn-outline-primary "
               "btn-sm me-2"),
        html.A("Commitments memo", href=f"/download/citistat/{s.id}-commitments.html",
               className="btn btn-primary btn-sm me-2"),
        html.A("Commitments memo (PDF)", href=f"/download/citistat/{s.id}-commitments.pdf",
               className="btn btn-outline-primary btn-sm me-2")]
    if before_meeting:
        links.append(post_button(f"/citistat/{s.id}/refreeze", "Take the latest data",
                                 description="Take the latest data: refresh the snapshot and add new suggestions"))
    return html.Div(links, className="session-actions mb-3")


def _edit_form(content: Briefing) -> html.Details:
    s = content.session
    typed = recalled("edit-session")
    return html.Details([
        html.Summary("Edit or cancel this session"),
        html.Form([
            csrf_field(),
            dbc.Row([
                dbc.Col([dbc.Label("Meeting date", html_for="edit-meets"),
                         dbc.Input(id="edit-meets", name="meets_on", type="date", required=True,
                                   value=typed.get("meets_on", s.meets_on.isoformat()))], md=4),
                dbc.Col([dbc.Label("Data through (cutoff)", html_for="edit-cutoff"),
                         dbc.Input(id="edit-cutoff", name="data_cutoff", type="date", required=True,
                                   value=typed.get("data_cutoff", s.data_cutoff.isoformat()))], md=4),
            ], className="g-2"),
            html.Div([dbc.Label("Attendees, one per line as Role: Name <e-mail for the pre-read>",
                                html_for="edit-attendees"),
                      dbc.Textarea(id="edit-attendees", name="attendees", rows=3,
                                   value=typed.get("attendees", "\n".join(map(str, s.attendees))))],
                     className="mt-2"),
            dbc.Button("Save changes", type="submit", color="primary", className="mt-2"),
        ], action=f"/citistat/{s.id}/edit", method="post", className="edit-session-form"),
        html.Form([
            csrf_field(),
            dbc.Label("Reason for cancelling the meeting", html_for="cancel-session"),
            dbc.Input(id="cancel-session", name="reason", required=True, maxLength=1000),
            dbc.Button("Cancel the meeting", type="submit", color="danger", outline=True, className="mt-2"),
        ], action=f"/citistat/{s.id}/cancel", method="post", className="cancel-form mt-3"),
    ], className="mt-4")


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


def _agenda_heading(count: int, size: int) -> str:
    if count == 0:
        return "Agenda: nothing to escalate"
    if count <= size:
        return f"Agenda ({count} of {size}, most severe first)"
    return f"Agenda ({count} items: the rule's {size} most severe, and those added by hand)"
