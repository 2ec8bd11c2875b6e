"""Data calls ``/data-calls``: every reporting period opened, with its progress; the performance team opens new ones."""

from __future__ import annotations

from collections import Counter

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import csrf_field, flashes, scroll_region
from dashboard.context import current_viewer, gate, today
from dashboard.form_posts import recalled
from dashboard.page import guarded
from dashboard.page_table import dash_page
from data import data_calls
from data.data_calls import Call
from metrics.periods import fiscal_year
from metrics.reporting import OUTSTANDING, EntryState, ReportingPeriod

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    viewer = current_viewer()
    found = data_calls.calls(gate(), viewer)
    return html.Div([
        html.H1("Data calls"),
        html.P("Each quarter agencies report the measures no system computes: the figure, a note where it misses its "
               "target or moves sharply, and next year's targets. The performance team reviews each figure; accepted "
               "figures are published on the measure's page.", className="lead"),
        *flashes(),
        _table(found) if found else html.P("No data call has been opened yet."),
        _open_form() if viewer.can_review_reports else None,
    ])


def _table(found: list[Call]) -> html.Div:
    viewer, day = current_viewer(), today()
    rows = []
    for call in found:
        entries = data_calls.entries(gate(), viewer, call.id)
        counts = Counter(e.state for e in entries)
        overdue = sum(e.overdue(day) for e in entries)
        if call.cancelled:
            rows.append(html.Tr([html.Th(dcc.Link(f"{call.period.label} data call", href=f"/data-calls/{call.id}"),
                                         scope="row"), html.Td(f"Cancelled: {call.cancelled}", colSpan=4)]))
            continue
        rows.append(html.Tr([
            html.Th(dcc.Link(f"{call.period.label} data call", href=f"/data-calls/{call.id}"), scope="row"),
            html.Td(f"{call.due_on:%b %-d, %Y}"),
            html.Td(f"{counts[EntryState.ACCEPTED]} of {len(entries)} accepted"),
            html.Td(f"{sum(counts[s] for s in OUTSTANDING)} to report, {counts[EntryState.SUBMITTED]} to review"),
            html.Td(f"{overdue} overdue" if overdue else "")]))
    caption = "Data calls, newest period first"
    heads = ("Period", "Due", "Accepted", "Waiting", "Overdue")
    return scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col")
                                                                                for h in heads])),
                                     html.Tbody(rows)], className="table table-hover"), caption)


def _open_form() -> html.Section:
    typed = recalled("open-call")
    fy_start = gate().registry.city.fiscal_year_start_month
    year = fiscal_year(today(), fy_start)
    periods = [p for p in (ReportingPeriod(y, q) for y in (year, year - 1) for q in (4, 3, 2, 1, None))
               if p.start(fy_start) <= today()]  # a period is reported once it has begun
    ended = [p for p in periods if p.end(fy_start) < today()]
    default = typed.get("period") or (ended[0].label if ended else periods[0].label)
    return html.Section([
        html.H2("Open a data call", className="h4 mt-5", id="open-call"),
        html.P("A quarter asks for every measure reported quarterly (twice-yearly ones in Q2 and Q4); a fiscal year "
               "asks every reported measure for its annual actual. Each measure is assigned to its agency.",
               className="text-muted"),
        html.Form([
            csrf_field(),
            dbc.Row([
                dbc.Col([dbc.Label("Reporting period", html_for="call-period"),
                         dbc.Select(id="call-period", name="period", value=default, required=True,
                                    options=[{"label": p.label, "value": p.label} for p in periods])], md=4),
                dbc.Col([dbc.Label("Figures due on", html_for="call-due"),
                         dbc.Input(id="call-due", name="due_on", type="date", required=True,
                                   value=typed.get("due_on", ""))], md=4),
                dbc.Col(dbc.Button("Open the data call", type="submit", color="primary", className="mt-4"), md=4),
            ], className="g-3 align-items-end"),
        ], action="/data-calls", method="post", className="open-call-form"),
    ])
