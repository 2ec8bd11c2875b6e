"""Briefing memo ``/citistat/<id>/memo``: the session's pre-read as a printable page (the PDF holds the same)."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard.briefing import Item, briefing
from dashboard.components import aria, follow_up_table
from dashboard.context import current_viewer, gate
from dashboard.figures import trend_figure
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from dashboard.views import series_summary

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(session_id: str = "") -> html.Div:
    content = briefing(gate(), current_viewer(), record_id(session_id, "session"))
    s = content.session
    open_ones = [f for f in content.assigned + content.carried if f.is_open_on(content.today)]
    return html.Div([
        html.P([dcc.Link("Back to the session", href=f"/citistat/{s.id}"), " · ",
                html.A("Download as PDF", href=f"/download/citistat/{s.id}-memo.pdf"),
                " · Print this page with your browser for a paper copy."], className="no-print"),
        html.H1(f"CitiStat briefing: {content.subject}"),
        html.P(f"{s.summary}.", className="lead"),
        html.P(f"Attendees: {s.attendee_list}") if s.attendees else None,
        html.H2("Agenda", className="h4"),
        html.Ol([html.Li(html.A(i.metric.title, href=f"#item-{i.metric.id}")) for i in content.items])
        if content.items else html.P("No measures on the agenda."),
        *[_item(number, item) for number, item in enumerate(content.items, start=1)],
        html.H2("Open follow-ups", className="h4 mt-4"),
        follow_up_table(open_ones, "Open follow-ups", content.agency_names, content.today),
    ], className="memo")


def _item(number: int, item: Item) -> html.Section:
    why = item.entry.explanation or item.entry.analyst_note
    return html.Section([
        html.H2(f"{number}. {item.metric.title}", className="h5 mt-4", id=f"item-{item.metric.id}"),
        html.P(item.assessment.sentence, className="status-sentence"),
        html.P(f"Why it is on the agenda: {why}", className="small text-muted") if why else None,
        _chart(item),
        html.Div([html.H3("Commentary", className="h6"),
                  html.Ul([html.Li(f"{c.body} ({c.author}, {c.visibility.value})") for c in item.comments])])
        if item.comments else None,
    ], className="memo-item")


def _chart(item: Item) -> Any:
    if not item.points:
        return html.P("No values up to the cutoff.")
    words = series_summary(item.metric, item.points, "period")
    figure = trend_figure(item.points, item.metric.format, None)
    figure.update_layout(height=240)
    return html.Figure([html.Div(dcc.Graph(figure=figure, config={"displayModeBar": False, "staticPlot": True}),
                                 **aria(hidden="true")),
                        html.Figcaption(words, className="chart-summary")])
