"""One measure in a data call ``/data-calls/<id>/measures/<metric>``: its recent figures and target, the entry form
with its live check, the performance team's review, target proposals, and every step so far."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import alert, breadcrumb, csrf_field, flashes, scroll_region
from dashboard.context import current_viewer, gate, today
from dashboard.data_call_views import entry_chip, figure_text
from dashboard.entry_form import check_view, entry_form
from dashboard.form_posts import recalled
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from data import data_calls, publication, targets
from data.data_calls import Entry
from data.policy import Viewer
from data.store import same_number
from data.targets import Proposal
from metrics.formatting import format_value
from metrics.periods import period_label
from metrics.reporting import EDITABLE, OUTSTANDING, EntryState
from metrics.spec import Direction, FormatType
from metrics.targets import target_for
from metrics.values import CITY

dash.register_page(__name__, **dash_page(__name__))
RECENT = 8


@guarded
def layout(call_id: str = "", metric_id: str = "") -> html.Div:
    viewer, day = current_viewer(), today()
    entry = data_calls.entry(gate(), viewer, record_id(call_id, "data call"), metric_id)
    metric, period = entry.metric, entry.call.period
    fy_start = gate().registry.city.fiscal_year_start_month
    target = target_for(metric, period.grain, period.start(fy_start), fy_start)
    blockers = publication.blockers(gate(), entry)
    prior_blocker = next((b for b in blockers if "actual has no note" in b), None)
    typed = recalled("entry")
    editable = viewer.can_enter_for(entry.agency) and entry.state in (  # the team reviews what was submitted
        OUTSTANDING if viewer.can_review_reports else EDITABLE)
    return html.Div([
        breadcrumb([("Data calls", "/data-calls"), (period.label, f"/data-calls/{entry.call.id}"),
                    (metric.title, None)]),
        html.H1(metric.title),
        html.P([entry_chip(entry, day), f" {period.label} figure, due {entry.call.due_on:%B %-d, %Y}. ",
                dcc.Link("See the measure's page", href=f"/metrics/{metric.id}")], className="lead"),
        *flashes(),
        alert(f"Returned by the performance team: {entry.return_reason}", "warning")
        if entry.state is EntryState.RETURNED and entry.return_reason else None,
        _facts(entry, target),
        _recent(entry),
        html.Section([html.H2("Your figure", className="h4 mt-4"),
                      entry_form(entry, typed, f"FY{period.fiscal_year - 1}" if prior_blocker else None)])
        if editable else _entered(entry),
        _publish_gate(entry, blockers),
        _review(entry) if viewer.can_review_reports else None,
        _targets(viewer, entry, any("target" in b for b in blockers)),
        _trail(entry),
    ])


def _facts(entry: Entry, target: float | None) -> html.Dl:
    metric, period = entry.metric, entry.call.period
    rows = [("Definition", metric.definition), ("How it is computed", metric.computation.formula),
            ("Where it comes from", metric.computation.collection),
            (f"{period.label} target", _target_text(entry, target)),
            ("Better when", {"increase": "higher", "decrease": "lower", "maintain": "inside its band",
                             "none": "no direction: the figure is informational, never judged"}[
                metric.direction.value]),
            ("Agency", gate().registry.agencies[entry.agency].name)]
    return html.Dl(sum(([html.Dt(k), html.Dd(v)] for k, v in rows if v), []), className="about-measure")


def _target_text(entry: Entry, target: float | None) -> str:
    """The period's target; a count's share of the year's target is said as such, not as 53.75 lawsuits."""
    metric, period = entry.metric, entry.call.period
    if target is None:
        return "None set"
    if metric.direction is Direction.NONE:
        return f"{format_value(target, metric.format, metric.unit)} (not judged: the measure has no better direction)"
    annual = metric.annual_target(period.fiscal_year)
    if period.quarter and annual and target != annual.value:
        share = format_value(round(target) if metric.format is FormatType.COUNT else target, metric.format, metric.unit)
        return (f"about {share}: a quarter of the FY{period.fiscal_year} target of "
                f"{format_value(annual.value, metric.format, metric.unit)}")
    return format_value(target, metric.format, metric.unit)


def _recent(entry: Entry) -> html.Section:
    metric, period = entry.metric, entry.call.period
    fy_start = gate().registry.city.fiscal_year_start_month
    values = gate().values(current_viewer(), metric.id, grain=period.grain.value, geography=CITY)
    recent = [v for v in values if v.period_start < period.start(fy_start)][-RECENT:]
    if not recent:
        return html.Section([html.H2("Recent figures", className="h4 mt-4"),
                             html.P("No earlier figure is published: this is the measure's first.")])
    body = [html.Tr([html.Th(period_label(v.period_start, period.grain, fy_start), scope="row"),
                     html.Td(format_value(v.value, metric.format, metric.unit)), html.Td(v.note or "")])
            for v in reversed(recent)]
    caption = "Published figures, latest first"
    table = html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col")
                                                                   for h in ("Period", "Figure", "Note")])),
                        html.Tbody(body)], className="table table-sm recent-figures")
    return html.Section([html.H2("Recent figures", className="h4 mt-4"), scroll_region(table, caption)])


def _entered(entry: Entry) -> html.Section:
    checked = data_calls.check(gate(), current_viewer(), entry, value=entry.value, numerator=entry.numerator,
                               denominator=entry.denominator) if entry.value is not None else None
    rows = [("Figure", figure_text(entry)),
            ("Numerator / denominator", f"{entry.numerator:g} / {entry.denominator:g}"
             if entry.numerator is not None and entry.denominator is not None else None),
            ("Note", entry.note), (f"Note on the FY{entry.call.period.fiscal_year - 1} actual", entry.prior_note),
            ("Restated because", entry.restatement_reason)]
    return html.Section([html.H2("The figure", className="h4 mt-4"),
                         html.Dl(sum(([html.Dt(k), html.Dd(v)] for k, v in rows if v), []), className="about-measure"),
                         html.Div(check_view(checked, noted=bool(entry.note)), className="entry-check")])


def _publish_gate(entry: Entry, blockers: tuple[str, ...]) -> html.Section | None:
    if not blockers:
        return None
    year = entry.call.period.fiscal_year
    return html.Section([
        html.H2(f"Before FY{year} figures are published", className="h4 mt-4"),
        html.P("The City publishes a measure's figures for a year only with the prior year's actual and its note, "
               "and the year's target and its note." + (" This accepted figure is held until then."
                                                         if entry.held else "")),
        html.Ul([html.Li(b[0].upper() + b[1:] + ": " + _who_acts(b)) for b in blockers]),
    ], className="publish-gate")


def _who_acts(blocker: str) -> str:
    if "actual has no note" in blocker:
        return ("the agency writes it in the note field for the prior year's actual, with its figure (an accepted "
                "figure is first returned for a correction)")
    if "actual is missing" in blocker:
        return "the prior year's data call brings it"
    return "the agency proposes the target with its note under Targets below, and the performance team approves it"


def _review(entry: Entry) -> html.Section | None:
    base = f"/data-calls/{entry.call.id}/measures/{entry.metric.id}"
    typed = recalled("review")
    if entry.state not in (EntryState.SUBMITTED, EntryState.ACCEPTED):
        return None
    published = publication.standing(gate(), entry)
    restating = published is not None and entry.value is not None and not same_number(published, entry.value)
    shown = format_value(published, entry.metric.format, entry.metric.unit)
    accept = html.Form([
        csrf_field(),
        html.P(f"{entry.call.period.label} shows {shown} now; accepting replaces it with {figure_text(entry)}."
               if restating else f"Nothing is published for {entry.call.period.label} yet."
               if published is None else f"{entry.call.period.label} shows the same figure now."),
        html.Div([dbc.Label("Reason for restating the published figure (shown on the chart)", html_for="restatement"),
                  dbc.Input(id="restatement", name="restatement_reason", required=True,
                            value=typed.get("restatement_reason", ""))]) if restating else None,
        dbc.Button("Accept and publish", type="submit", color="success", className="mt-2"),
    ], action=f"{base}/accept", method="post", className="mb-3") if entry.state is EntryState.SUBMITTED else None
    give_back = html.Form([
        csrf_field(),
        html.Div([dbc.Label("Reason for returning it to the agency", html_for="return-reason"),
                  dbc.Textarea(id="return-reason", name="reason", rows=2, value=typed.get("reason", ""))]),
        dbc.Button("Return to the agency" if entry.state is EntryState.SUBMITTED else "Return for a correction",
                   type="submit", color="warning", className="mt-2"),
    ], action=f"{base}/return", method="post")
    return html.Section([html.H2("Review", className="h4 mt-4", id="review"), accept, give_back],
                        className="review-forms")


def _decision(p: Proposal) -> str:
    if p.state == "proposed":
        return "Waiting for the performance team."
    return f"{p.state.capitalize()} by {p.decided_by}" + (f": {p.decision_note}" if p.decision_note else ".")


def _targets(viewer: Viewer, entry: Entry, needed: bool) -> html.Section:
    """The call's year's and next year's targets, proposals and their decisions; ``needed``: the publish gate
    waits for this year's target (or its note)."""
    metric, year = entry.metric, entry.call.period.fiscal_year
    proposals = targets.proposals(gate(), viewer, metric_ids={metric.id})
    current = []
    for fiscal_year in (year, year + 1):
        target = metric.annual_target(fiscal_year)
        shown = format_value(target.value, metric.format, metric.unit) if target else "none set"
        current.append(html.Li(f"FY{fiscal_year}: {shown}" + (f". {target.note}" if target and target.note else "")))
    listed = [html.Li([f"FY{p.fiscal_year}: {p.shown}, proposed by {p.proposed_by} on {p.proposed_at:%b %-d, %Y}: "
                       f"{p.note} ", html.Strong(_decision(p)),
                       _decide(entry, p.id) if p.state == "proposed" and viewer.can_review_reports else None])
              for p in proposals]
    typed = recalled("target")
    propose = html.Form([
        csrf_field(),
        dbc.Row([
            dbc.Col([dbc.Label("Fiscal year", html_for="target-year"),
                     dbc.Select(id="target-year", name="fiscal_year",
                                value=typed.get("fiscal_year", str(year if needed else year + 1)),
                                options=[{"label": f"FY{y}", "value": str(y)} for y in (year, year + 1)])], md=3),
            dbc.Col([dbc.Label("Target", html_for="target-value"),
                     dbc.Input(id="target-value", name="value", value=typed.get("value", ""))], md=3),
        ], className="g-3"),
        html.Div([dbc.Label("Note: why this target", html_for="target-note"),
                  dbc.Textarea(id="target-note", name="note", rows=2, value=typed.get("note", ""))], className="mt-2"),
        dbc.Button("Propose the target", type="submit", color="primary", className="mt-2"),
    ], action=f"/data-calls/{entry.call.id}/measures/{metric.id}/targets", method="post") \
        if viewer.can_enter_for(entry.agency) else None
    return html.Section([html.H2("Targets", className="h4 mt-4", id="targets"), html.Ul(current),
                         html.H3("Proposals", className="h5") if listed else None, html.Ul(listed) if listed else None,
                         propose], className="targets")


def _decide(entry: Entry, proposal_id: int) -> html.Form:
    return html.Form([
        csrf_field(),
        dbc.Label("Decision note (required to decline)", html_for=f"decision-{proposal_id}", className="small"),
        dbc.Input(id=f"decision-{proposal_id}", name="note", size="sm"),
        html.Button("Approve", type="submit", name="decision", value="approve",
                    className="btn btn-sm btn-outline-success me-2 mt-1"),
        html.Button("Decline", type="submit", name="decision", value="decline",
                    className="btn btn-sm btn-outline-danger mt-1"),
    ], action=f"/data-calls/{entry.call.id}/targets/{proposal_id}", method="post", className="decide-form")


def _trail(entry: Entry) -> html.Section | None:
    steps = data_calls.trail(gate(), current_viewer(), entry.call.id, entry.metric.id)
    if not steps:
        return None
    items: list[Any] = [html.Li(f"{s.at:%Y-%m-%d %H:%M} UTC, {s.actor}: {s.action}"
                                + (f" → {s.state.lower()}" if s.state else "")
                                + (f" ({s.reason})" if s.reason else "")) for s in steps]
    return html.Section([html.H2("History", className="h4 mt-4"), html.Ol(items, className="entry-trail")])
