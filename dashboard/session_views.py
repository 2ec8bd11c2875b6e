"""Builders of the CitiStat session page: the agenda as cards (one per item, readable on a phone), what was also
considered or taken off, what really changed since the last session, and the meeting's record."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.briefing import Briefing, Item
from dashboard.components import aria, assessment_chip, csrf_field, post_button, status_words
from dashboard.form_posts import recalled
from metrics.escalation import Reason

REASON_LABELS = {Reason.MISSED_TWICE: "Missed twice", Reason.PROJECTED_MISS: "Projected miss", Reason.STALE: "Stale"}


def agenda_cards(content: Briefing, manage: bool) -> Any:
    if not content.items:
        return html.P("Nothing on the agenda: the rule found no measure to escalate.")
    return html.Ol([html.Li(_card(content, item, number, manage), className="agenda-card")
                    for number, item in enumerate(content.items, start=1)], className="agenda-cards")


def _card(content: Briefing, item: Item, number: int, manage: bool) -> list[Any]:
    e = item.entry
    why = e.severity_words or f"Added by the analyst: {e.analyst_note}"
    return [
        html.Div([html.H3(dcc.Link(item.metric.title, href=f"/metrics/{item.metric.id}"), className="h6 mb-1"),
                  assessment_chip(item.assessment)], className="agenda-card-head"),
        html.P([html.Span(f"{item.fmt(item.assessment.value)} against {item.fmt(item.assessment.target)}. ",
                          className="fw-semibold"), why,
                *[html.Span(REASON_LABELS[r], className="badge text-bg-light ms-1") for r in e.reasons]],
               className="mb-1"),
        html.Details([html.Summary("Why, in full, and commentary"),
                      html.P(e.explanation or e.analyst_note or "", className="small"),
                      *[html.P(f"Commentary, {c.author}: {c.body}", className="small text-muted")
                        for c in item.comments],
                      html.P(["Question to ask: ", html.Em(item.question)], className="small")],
                     className="small"),
        _controls(content, item, number) if manage else None,
    ]


def _controls(content: Briefing, item: Item, number: int) -> html.Div:
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
                  action=f"{base}/remove", method="post", className="d-inline-flex gap-1"),
    ], className="item-controls")


def set_aside(content: Briefing, manage: bool) -> list[Any]:
    """The also-considered (ranked below the agenda's size) and the removed, each one click from the agenda."""
    def entries(items: list[Item], note: str) -> list[Any]:
        return [html.Li([dcc.Link(i.metric.title, href=f"/metrics/{i.metric.id}"), ": ", status_words(i.assessment),
                         "; ", (f"taken off: {i.entry.analyst_note}" if i.entry.removed and i.entry.analyst_note
                                else i.entry.severity_words or i.entry.analyst_note or ""), " ",
                         post_button(f"/citistat/{content.session.id}/agenda", "Put on the agenda",
                                     hidden={"metric": i.metric.id, "note": note},
                                     description=f"Put on the agenda: {i.metric.title}") if manage else None])
                for i in items]

    out: list[Any] = []
    if content.considered:
        out.append(html.Details([html.Summary(f"Also considered ({len(content.considered)}), ranked below these"),
                                 html.Ol(entries(content.considered, "Raised from the also considered"),
                                         start=str(len(content.items) + 1))], className="mt-2"))
    if content.removed:
        out.append(html.Details([html.Summary(f"Taken off the agenda ({len(content.removed)})"),
                                 html.Ul(entries(content.removed, "Put back on the agenda"))], className="mt-2"))
    return out


def changes(content: Briefing) -> html.Section:
    """Only what moved: status (as judged), value, or a restated period, since the last session."""
    previous = content.previous
    title = html.H2("What changed since the last session", className="h4 mt-4")
    if previous is None:
        return html.Section([title, html.P("This is the first session on this subject.")])
    moved, still = [], []
    for item in content.items:
        change = item.change
        if change is None or change.before is None:
            moved.append(html.Li(f"{item.metric.title}: new on this subject's agenda."))
        elif change.moved:
            revised = "; ".join(f"{p} restated {item.fmt(a)} → {item.fmt(b)}" for p, a, b in change.restated)
            moved.append(html.Li([html.Strong(item.metric.title), ": ",
                                  f"{status_words(change.before)} {item.fmt(change.before.value)} → "
                                  f"{status_words(item.assessment)} {item.fmt(item.assessment.value)}",
                                  f" ({revised})" if revised else ""]))
        else:
            still.append(item.metric.title)
    return html.Section([
        title,
        html.P([dcc.Link(f"Session of {previous.meets_on:%B %-d, %Y}", href=f"/citistat/{previous.id}"),
                f" (data through {previous.data_cutoff:%B %-d, %Y})."]),
        html.Ul(moved) if moved else html.P("No agenda measure moved."),
        html.P(f"Unchanged since then (no new figure, same status): {'; '.join(still)}.", className="text-muted")
        if still else None,
    ])


def decisions_section(content: Briefing, manage: bool) -> html.Section:
    s = content.session
    typed = recalled("decision")
    items = [html.Li([d.text, html.Span(f" ({d.recorded_by}, {d.recorded_at:%Y-%m-%d %H:%M} UTC)",
                                        className="text-muted small"), " ",
                      post_button(f"/citistat/{s.id}/decisions/{d.id}/withdraw", "Strike",
                                  description=f"Strike the decision: {d.text[:60]}", color="danger")
                      if manage else None]) for d in content.decisions]
    form = html.Form([
        csrf_field(),
        dbc.Row([
            dbc.Col([dbc.Label("Decision", html_for="decision-text"),
                     dbc.Textarea(id="decision-text", name="text", rows=2, required=True, maxLength=2000,
                                  value=typed.get("text", ""))], md=8),
            dbc.Col([dbc.Label("About (optional)", html_for="decision-metric"),
                     dbc.Select(id="decision-metric", name="metric", value=typed.get("metric", ""),
                                options=[{"label": "The whole session", "value": ""}]
                                + [{"label": i.metric.title, "value": i.metric.id} for i in content.items])], md=4),
        ], className="g-2"),
        dbc.Button("Record the decision", type="submit", color="primary", className="mt-2"),
    ], action=f"/citistat/{s.id}/decisions", method="post", className="decision-form")
    return html.Section([
        html.H2("The meeting's record", className="h4 mt-4", id="record"),
        html.P("Decisions taken in the meeting, and the commitments (follow-ups below): the commitments memo lists "
               "who owes what by when.", className="text-muted"),
        html.Ol(items) if items else html.P("No decision recorded yet."),
        form if manage and s.cancelled is None else None,
    ])
