"""One follow-up ``/follow-ups/<id>``: what was asked, of whom, by when; its owner reports progress and evidence."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import breadcrumb, csrf_field, flashes, follow_up_chip
from dashboard.context import current_viewer, gate, today
from dashboard.form_posts import recalled
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from data.followup_store import FollowUpRow, follow_up, history
from data.models import Role
from data.policy import Viewer

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(follow_up_id: str = "") -> html.Div:
    viewer, registry = current_viewer(), gate().registry
    f = follow_up(gate(), viewer, record_id(follow_up_id, "follow-up"))
    linked = [dcc.Link(m.title, href=f"/metrics/{m.id}", className="me-3")
              for m in gate().visible(viewer, f.metric_ids)]
    facts: list[tuple[str, Any]] = [("Status", follow_up_chip(f.colour(today()))),
             ("Owner", f"{f.owner_role}, {registry.agencies[f.owner_agency].name}"),
             ("Due", f"{f.due_on:%A, %B %-d, %Y}"), ("Deliverable", f.deliverable.label),
             ("From", dcc.Link(f"CitiStat on {f.subject.label(registry)}, {f.session_meets_on:%B %-d, %Y}",
                               href=f"/citistat/{f.session_id}")),
             ("Linked measures", linked or None), ("Assigned by", f.created_by),
             ("Started", f"{f.started_at:%Y-%m-%d}" if f.started_at else None),
             ("Closed", f"{f.closed_at:%Y-%m-%d}" if f.closed_at else None),
             ("Evidence", f.evidence),
             ("Evidence link", html.A(f.evidence_link, href=f.evidence_link, rel="noopener noreferrer")
              if f.evidence_link else None)]
    return html.Div([
        breadcrumb([("Follow-ups", "/follow-ups"), (f"Follow-up {f.id}", None)]),
        html.H1(f.request, className="h2"),
        *flashes(),
        html.Dl(sum(([html.Dt(k), html.Dd(v)] for k, v in facts if v), []), className="about-measure"),
        _report_form(f) if _may_report(viewer, f) else None,
        _change_form(f) if viewer.can_manage and not f.closed_at else None,
        _history(viewer, f),
    ])


def _change_form(f: FollowUpRow) -> html.Form:
    typed = recalled("change")
    agencies = sorted(((a.id, a.name) for a in gate().registry.agencies.values()), key=lambda kv: kv[1])
    return html.Form([
        csrf_field(),
        html.H2("Change the due date or the owner", className="h4 mt-4"),
        dbc.Row([
            dbc.Col([dbc.Label("Due date", html_for="change-due"),
                     dbc.Input(id="change-due", name="due_on", type="date", required=True,
                               value=typed.get("due_on", f.due_on.isoformat()))], md=3),
            dbc.Col([dbc.Label("Owner role", html_for="change-role"),
                     dbc.Input(id="change-role", name="owner_role", required=True,
                               value=typed.get("owner_role", f.owner_role))], md=4),
            dbc.Col([dbc.Label("Owner agency", html_for="change-agency"),
                     dbc.Select(id="change-agency", name="owner_agency",
                                value=typed.get("owner_agency", f.owner_agency),
                                options=[{"label": n, "value": k} for k, n in agencies])], md=5),
        ], className="g-2"),
        html.Div([dbc.Label("Reason for the change (kept in the history)", html_for="change-reason"),
                  dbc.Input(id="change-reason", name="reason", required=True, maxLength=2000,
                            value=typed.get("reason", ""))], className="mt-2"),
        dbc.Button("Change", type="submit", color="secondary", className="mt-2"),
    ], action=f"/follow-ups/{f.id}/change", method="post", className="report-form")


def _history(viewer: Viewer, f: FollowUpRow) -> html.Section | None:
    steps = history(gate(), viewer, f.id)
    if not steps:
        return None
    return html.Section([html.H2("History", className="h4 mt-4"), html.Ol([
        html.Li(f"{s.at:%Y-%m-%d %H:%M} UTC, {s.actor}: {s.action}" + (f": {s.detail}" if s.detail else ""))
        for s in steps], className="entry-trail")])


def _may_report(viewer: Viewer, f: FollowUpRow) -> bool:
    return viewer.can_manage or (viewer.role is Role.AGENCY and f.owner_agency in viewer.agencies)


def _report_form(f: FollowUpRow) -> html.Form:
    typed = recalled("report")
    progress = typed.get("progress") or ("done" if f.closed_at else "in_progress" if f.started_at else "not_started")
    return html.Form([
        csrf_field(),
        html.H2("Report progress", className="h4 mt-4"),
        html.Div([dbc.Label("Progress", html_for="fu-progress"),
                  dbc.Select(id="fu-progress", name="progress", value=progress, options=[
                      {"label": "Not started", "value": "not_started"},
                      {"label": "In progress", "value": "in_progress"},
                      {"label": "Done: close with the evidence below", "value": "done"}])]),
        html.Div([dbc.Label("Evidence (what was done)", html_for="fu-evidence"),
                  dbc.Textarea(id="fu-evidence", name="evidence", rows=3,
                               value=typed.get("evidence", f.evidence or ""))], className="mt-2"),
        html.Div([dbc.Label("Evidence link (https://…)", html_for="fu-link"),
                  dbc.Input(id="fu-link", name="evidence_link", type="url",
                            value=typed.get("evidence_link", f.evidence_link or ""))], className="mt-2"),
        dbc.Button("Save progress", type="submit", color="primary", className="mt-3"),
    ], action=f"/follow-ups/{f.id}", method="post", className="report-form")
