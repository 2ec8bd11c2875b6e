"""My agency ``/my-agency``: an agency's landing page after sign-in: what is due and when, what was returned and
why, measures off track or flagged, open follow-ups and the next CitiStat session. The performance team picks
an agency to see its page."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import aria, assessment_chip, flashes, follow_up_table
from dashboard.context import current_viewer, gate, today
from dashboard.page import guarded
from dashboard.page_table import dash_page
from dashboard.views import choice
from data import data_calls
from data.followup_store import follow_ups
from data.policy import Viewer
from data.sessions import sessions
from metrics.reporting import OUTSTANDING, EntryState
from metrics.status import Status
from metrics.subjects import SubjectKind

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(**query: Any) -> html.Div:
    viewer, registry = current_viewer(), gate().registry
    mine = sorted(viewer.agencies if not viewer.city_wide else registry.agencies,
                  key=lambda a: registry.agencies[a].name if a in registry.agencies else a)
    mine = [a for a in mine if a in registry.agencies]
    agency = choice(query, "agency", mine) or (mine[0] if len(mine) == 1 else None)
    chooser = _chooser(mine, agency) if len(mine) > 1 else None
    if agency is None:
        return html.Div([html.H1("My agency"), html.P("Choose an agency to see its page.", className="lead"),
                         chooser])
    name = registry.agencies[agency].name
    return html.Div([
        html.H1(name),
        html.P("What is due, what came back, and what needs attention.", className="lead"),
        *flashes(),
        chooser,
        _due(viewer, agency),
        _attention(viewer, agency),
        _follow_ups(viewer, agency),
        _next_session(viewer, agency),
    ])


def _chooser(agencies: list[str], chosen: str | None) -> html.Form:
    names = gate().registry.agencies
    return html.Form(dbc.Row([
        dbc.Col([dbc.Label("Agency", html_for="my-agency"),
                 dbc.Select(id="my-agency", name="agency", value=chosen or "",
                            options=[{"label": names[a].name, "value": a} for a in agencies])], md=6),
        dbc.Col(dbc.Button("Show", type="submit", color="primary", className="mt-4"), md=2),
    ], className="g-3 align-items-end"), action="/my-agency", method="get", className="filters",
        **aria(label="Choose an agency"))


def _due(viewer: Viewer, agency: str) -> html.Section:
    day = today()
    items, returned = [], []
    for call in (c for c in data_calls.calls(gate(), viewer) if c.cancelled is None):
        entries = data_calls.entries(gate(), viewer, call.id, agency=agency)
        counts = Counter(e.state for e in entries)
        waiting = sum(counts[s] for s in OUTSTANDING)
        returned += [e for e in entries if e.state is EntryState.RETURNED]
        if not waiting and not counts[EntryState.SUBMITTED]:
            continue
        late = " Overdue." if call.overdue_on(day) and waiting else ""
        items.append(html.Li([dcc.Link(f"{call.period.label} data call", href=f"/data-calls/{call.id}?agency={agency}"),
                              f": {waiting} of {len(entries)} measures to report by {call.due_on:%B %-d, %Y}"
                              f" ({counts[EntryState.DRAFT]} drafts, {counts[EntryState.SUBMITTED]} with the "
                              f"performance team).{late}"]))
    back = [html.Li([dcc.Link(e.metric.title, href=f"/data-calls/{e.call.id}/measures/{e.metric.id}"),
                     f" ({e.call.period.label}): {e.return_reason}"]) for e in returned]
    return html.Section([
        html.H2("Figures due", className="h4 mt-4"),
        html.Ul(items) if items else html.P("Nothing is due: every open data call is reported."),
        html.H2("Returned to you", className="h4 mt-4") if back else None,
        html.Ul(back) if back else None,
    ])


def _attention(viewer: Viewer, agency: str) -> html.Section:
    snapshot = gate().snapshot(viewer, today())
    metrics = [m for m in gate().metrics(viewer) if m.agency == agency]
    off = [m for m in metrics if Status.OFF_TRACK in (snapshot.assessments[m.id].status,
                                                       snapshot.assessments[m.id].judged_as)]
    flagged = [f for f in gate().flagged(viewer) if f.metric.agency == agency and f.row.verdict is None]
    off_items = [html.Li([dcc.Link(m.title, href=f"/metrics/{m.id}"), " ", assessment_chip(snapshot.assessments[m.id])])
                 for m in sorted(off, key=lambda m: m.title)]
    flag_items = [html.Li([dcc.Link(f.metric.title, href=f"/metrics/{f.metric.id}#data-quality"),
                           f": {'; '.join(flag.reason for flag in f.row.held_out)}"]) for f in flagged]
    return html.Section([
        html.H2(f"Off track ({len(off)} of {len(metrics)} measures)", className="h4 mt-4"),
        html.Ul(off_items) if off_items else html.P("No measure is off track."),
        html.H2(f"Questionable values ({len(flagged)})", className="h4 mt-4"),
        html.Ul(flag_items[:20]) if flag_items else html.P("No value waits for a check."),
    ])


def _follow_ups(viewer: Viewer, agency: str) -> html.Section:
    day, names = today(), {a.id: a.name for a in gate().registry.agencies.values()}
    owed = [f for f in follow_ups(gate(), viewer) if f.owner_agency == agency and f.is_open_on(day)]
    return html.Section([html.H2(f"Open follow-ups ({len(owed)})", className="h4 mt-4"),
                         follow_up_table(owed, "Open follow-ups, soonest due first", names, day)])


def _next_session(viewer: Viewer, agency: str) -> html.Section:
    upcoming = sorted((s for s in sessions(viewer) if s.subject.kind is SubjectKind.AGENCY and s.subject.id == agency
                       and s.cancelled is None
                       and s.meets_on >= today()), key=lambda s: s.meets_on)
    text: Any = (dcc.Link(f"{upcoming[0].meets_on:%A, %B %-d, %Y}", href=f"/citistat/{upcoming[0].id}")
                 if upcoming else "None scheduled.")
    return html.Section([html.H2("Next CitiStat session", className="h4 mt-4"), html.P(text)])
