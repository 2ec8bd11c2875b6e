"""CitiStat sessions ``/citistat``: upcoming and past sessions the viewer may see; admins create new ones."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import csrf_field, flashes, scroll_region
from dashboard.context import current_viewer, gate, today
from dashboard.form_posts import recalled
from dashboard.page import guarded
from dashboard.page_table import dash_page
from data.sessions import Session, sessions
from metrics.registry import Registry
from metrics.subjects import subject_choices

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    viewer, registry, day = current_viewer(), gate().registry, today()
    found = sessions(viewer)
    upcoming = sorted((s for s in found if s.meets_on >= day), key=lambda s: s.meets_on)
    past = [s for s in found if s.meets_on < day]
    return html.Div([
        html.H1("CitiStat sessions"),
        html.P(f"Each session reviews {_subjects(registry)}: the agenda the escalation rule suggests, the data as "
               "it stood at the cutoff, and the follow-ups it assigns.", className="lead"),
        *flashes(),
        html.P(dcc.Link("All open follow-ups", href="/follow-ups", className="btn btn-outline-primary btn-sm")),
        html.H2("Upcoming", className="h4 mt-4"),
        _table(upcoming, "Upcoming sessions", registry) if upcoming else html.P("No upcoming sessions."),
        html.H2("Past", className="h4 mt-4"),
        _table(past, "Past sessions", registry) if past else html.P("No past sessions."),
        _new_session_form(day.isoformat()) if viewer.can_manage else None,
    ])


def _subjects(registry: Registry) -> str:
    """"one agency, pillar or council district": the kinds of subject, the districts named as the city calls them."""
    districts = registry.city.district_geography
    return f"one agency, pillar or {districts.label.lower()}" if districts else "one agency or pillar"


def _table(rows: list[Session], caption: str, registry: Registry) -> html.Div:
    body = [html.Tr([html.Th(dcc.Link(f"{s.meets_on:%a %b %-d, %Y}", href=f"/citistat/{s.id}"), scope="row"),
                     html.Td(s.subject.label(registry) + (" (cancelled)" if s.cancelled else "")),
                     html.Td(s.data_cutoff.isoformat()), html.Td(str(len(s.attendees)))]) for s in rows]
    head = html.Tr([html.Th(h, scope="col") for h in ("Meeting", "Subject", "Data through", "Attendees")])
    return scroll_region(html.Table([html.Caption(caption), html.Thead(head), html.Tbody(body)],
                                    className="table table-hover"), caption)


def _new_session_form(day: str) -> html.Section:
    typed = recalled("new-session")
    options = [{"label": label, "value": key} for key, label in subject_choices(gate().registry)]
    return html.Section([
        html.H2("New session", className="h4 mt-5", id="new-session"),
        html.P("The agenda is suggested from the data as it stands when you create the session, up to the cutoff. "
               "You can reorder, add and remove items afterwards.", className="text-muted"),
        html.Form([
            csrf_field(),
            dbc.Row([
                dbc.Col([dbc.Label("Subject", html_for="subject"),
                         dbc.Select(id="subject", name="subject", options=options, required=True,
                                    value=typed.get("subject", options[0]["value"]))], md=6),
                dbc.Col([dbc.Label("Meeting date", html_for="meets_on"),
                         dbc.Input(id="meets_on", name="meets_on", type="date", required=True,
                                   value=typed.get("meets_on", ""))], md=3),
                dbc.Col([dbc.Label("Data through (cutoff)", html_for="data_cutoff"),
                         dbc.Input(id="data_cutoff", name="data_cutoff", type="date", required=True,
                                   value=typed.get("data_cutoff", day))], md=3),
            ], className="g-3"),
            dbc.Row([
                dbc.Col([dbc.Label("Agenda size (the most severe suggestions)", html_for="agenda_size"),
                         dbc.Input(id="agenda_size", name="agenda_size", type="number", min=1, max=30, required=True,
                                   value=typed.get("agenda_size", "8"))], md=4),
                dbc.Col([dbc.Label("Data window (months before the cutoff)", html_for="window_months"),
                         dbc.Input(id="window_months", name="window_months", type="number", min=3, max=60,
                                   required=True, value=typed.get("window_months", "18"))], md=4),
            ], className="g-3 mt-1"),
            html.Div([dbc.Label("Attendees, one per line as Role: Name, with <e-mail> for the pre-read",
                                html_for="attendees"),
                      dbc.Textarea(id="attendees", name="attendees", rows=3, value=typed.get("attendees", ""),
                                   placeholder="Director: Jane Doe <jane.doe@city.gov>")], className="mt-3"),
            dbc.Button("Create session and suggest the agenda", type="submit", color="primary", className="mt-3"),
        ], action="/citistat", method="post", className="new-session-form"),
    ])
