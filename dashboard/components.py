"""Small pure builders shared by pages: status chips, pillar cards, measure tables, filters, messages."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.figures import sparkline
from dashboard.views import SORTS, WORST_FIRST, MeasureRow
from data.followup_store import FollowUpRow
from metrics.followups import FollowUpColour
from metrics.scores import Summary
from metrics.spec import Pillar
from metrics.status import Assessment, Status

STATUS_ICONS = {Status.ON_TRACK: "✓", Status.NEAR_TARGET: "◐", Status.OFF_TRACK: "✕", Status.NO_DATA: "–",
                Status.STALE: "⏱", Status.INFORMATIONAL: "ℹ", Status.NOT_JUDGED: "⚠"}
COUNTED = (Status.ON_TRACK, Status.NEAR_TARGET, Status.OFF_TRACK, Status.INFORMATIONAL, Status.NOT_JUDGED,
           Status.NO_DATA)
SORT_LABELS = {"status": "Status", "title": "Measure", "score": "Score"}


def aria(**attributes: str) -> dict[str, Any]:
    """``aria(label="x")`` → ``{"aria-label": "x"}`` for Dash components."""
    return {f"aria-{k.replace('_', '-')}": v for k, v in attributes.items()}


def data_label(name: str) -> dict[str, Any]:
    """A cell's column name, which a table with class ``stacks`` shows before the value on a phone."""
    return {"data-label": name}


def scroll_region(table: html.Table, label: str) -> html.Div:
    """A table that may scroll sideways on a phone: a labelled region reachable by keyboard."""
    return html.Div(table, className="table-responsive", tabIndex="0", role="region", **aria(label=label))


def status_chip(status: Status, count: int | None = None, stale: bool = False) -> html.Span:
    """A status as icon plus words (never colour alone)."""
    text = status.label if count is None else f"{count} {status.label.lower()}"
    children: list[Any] = [html.Span(STATUS_ICONS[status], **aria(hidden="true")), f" {text}"]
    if stale:
        children.append(html.Span(" · stale", className="stale-suffix"))
    return html.Span(children, className=f"status-chip status-{status.value}")


def status_words(assessment: Assessment) -> str:
    """A status in words, as every page and document says it: ``Off track · stale`` for a stale measure."""
    if assessment.status is Status.STALE and assessment.judged_as:
        return f"{assessment.judged_as.label} · stale"
    return assessment.status.label


def assessment_chip(assessment: Assessment) -> html.Span:
    if assessment.status is Status.STALE and assessment.judged_as:
        return status_chip(assessment.judged_as, stale=True)
    return status_chip(assessment.status)


def score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.2f}"


def href(path: str, query: Mapping[str, str | None] | None = None) -> str:
    kept = {k: v for k, v in (query or {}).items() if v}
    return f"{path}?{urllib.parse.urlencode(kept)}" if kept else path


def status_counts(summary: Summary) -> html.Ul:
    return html.Ul([html.Li(status_chip(s, summary.count(s))) for s in COUNTED if summary.count(s)],
                   className="status-counts", **aria(label="Measures by status"))


def pillar_card(pillar: Pillar, summary: Summary | None, freshest: str | None) -> dbc.Card:
    summary = summary or Summary(0)
    stale = (f"{summary.stale} of {summary.metrics} measures have overdue data (shown by their last reading)."
             if summary.stale else None)
    return dbc.Card(dbc.CardBody([
        html.P(f"Pillar {pillar.id}", className="pillar-number"),
        html.H2(dcc.Link(pillar.name, href=f"/pillars/{pillar.id}", className="stretched-link"),
                className="h5 pillar-name"),
        html.Div([html.Span(score_text(summary.score), className="score-value"),
                  html.Span(" score", className="score-label")], className="score"),
        html.P(f"{summary.metrics} public measures", className="measure-count"),
        status_counts(summary),
        html.P([p for p in (stale, f" Latest data: {freshest}." if freshest else None) if p], className="freshness"),
    ]), className="pillar-card h-100")


def breadcrumb(items: Sequence[tuple[str, str | None]]) -> html.Nav:
    crumbs = [html.Li(dcc.Link(text, href=link) if link else html.Span(text, **aria(current="page")),
                      className="breadcrumb-item") for text, link in items]
    return html.Nav(html.Ol(crumbs, className="breadcrumb"), **aria(label="Breadcrumb"))


def measure_table(rows: Sequence[MeasureRow], path: str, query: Mapping[str, str | None], sort: str,
                  caption: str, show_agency: bool = True, agency_names: Mapping[str, str] | None = None) -> Any:
    """Measures as an accessible table; column headers sort (kept in the URL)."""
    if not rows:
        return html.P("No measures match these filters.", className="empty")

    def header(key: str | None, text: str) -> html.Th:
        if key is None:
            return html.Th(text, scope="col")
        active = key == sort
        link = dcc.Link(text, href=href(path, {**query, "sort": key}))
        return html.Th(link, scope="col", **aria(sort="ascending" if active else "none"))

    heads = [header("title", "Measure"), header("status", "Status"), header(None, "Latest"),
             header(None, "Target"), header("score", "Score"), header(None, "Trend")]
    if show_agency:
        heads.append(header(None, "Agency"))
    body = []
    for row in rows:
        m, a = row.metric, row.assessment
        spark = sparkline(row.spark)
        trend = (html.Img(src=spark, alt=_trend_alt(row), width=110, height=28) if spark
                 else html.Span("—", title="Not enough values for a trend"))
        latest: Any = [row.latest,
                       html.Span([html.Span(" ⚠", **aria(hidden="true")), f" {row.caveat}"],
                                 className="value-caveat held-out") if row.caveat else None,
                       *value_context(a.period, row.change)]
        cells = [html.Th(dcc.Link(m.title, href=f"/metrics/{m.id}"), scope="row"),
                 html.Td(assessment_chip(a), **data_label("Status")), html.Td(latest, **data_label("Latest")),
                 html.Td(row.target, **data_label("Target")), html.Td(score_text(a.score), **data_label("Score")),
                 html.Td(trend, **data_label("Trend"))]
        if show_agency:
            cells.append(html.Td((agency_names or {}).get(m.agency, m.agency), **data_label("Agency")))
        body.append(html.Tr(cells))
    return scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr(heads)), html.Tbody(body)],
                                    className="table table-hover measure-table stacks"), caption)


def value_context(*words: str | None) -> list[html.Span]:
    """The lines under a figure saying what it covers: its period, its change on the year before, its year."""
    return [html.Span(w, className="value-period") for w in words if w]


def _trend_alt(row: MeasureRow) -> str:
    known = [v for v in row.spark if v is not None]
    direction = "up" if known[-1] > known[0] else "down" if known[-1] < known[0] else "flat"
    gaps = len(row.spark) - len(known)
    held = f" ({gaps} held out as questionable)" if gaps else ""
    return f"Trend over {len(known)} of the last {len(row.spark)} periods{held}: {direction}, latest {row.latest}"


def filter_form(path: str, query: Mapping[str, str | None], agencies: Sequence[tuple[str, str]] | None,
                sort: str) -> html.Form:
    """Filters as a GET form with a submit button (no change of context on input, WCAG 3.2.2)."""
    status_options = [{"label": "All statuses", "value": ""}] + [
        {"label": s.label, "value": s.value} for s in (*WORST_FIRST, Status.STALE)]
    fields = [dbc.Col([dbc.Label("Status", html_for="filter-status"),
                       dbc.Select(id="filter-status", name="status", options=status_options,
                                  value=query.get("status") or "", placeholder="All statuses")], md=4)]
    if agencies:
        fields.append(dbc.Col([dbc.Label("Agency", html_for="filter-agency"),
                               dbc.Select(id="filter-agency", name="agency", placeholder="All agencies",
                                          options=[{"label": "All agencies", "value": ""}]
                                          + [{"label": name, "value": key} for key, name in agencies],
                                          value=query.get("agency") or "")], md=5))
    fields.append(dbc.Col(dbc.Button("Apply filters", type="submit", color="primary", className="mt-4"), md=3))
    hidden = [dcc.Input(type="hidden", name="sort", value=sort)] if sort in SORTS and sort != "status" else []
    return html.Form([dbc.Row(fields, className="g-3 align-items-end"), *hidden], action=path, method="get",
                     className="filters", **aria(label="Filter measures"))


def not_found(message: str = "We could not find that page.", about_access: bool = True) -> html.Div:
    """The not-found page; ``about_access`` adds why a page may exist yet not be shown (not for a bad query)."""
    from dashboard.context import current_viewer

    access = ("It does not exist, it is set aside by registry errors (Data health lists them), or your role or "
              "agencies do not include it." if current_viewer().internal
              else "Internal measures are visible to City staff after signing in.")
    return html.Div([
        html.H1("Page not found"),
        html.P(message, className="lead"),
        html.P(access, className="text-muted") if about_access else None,
        html.P(["Try the ", dcc.Link("city overview", href="/"), " or ", dcc.Link("search", href="/search"), "."]),
    ], className="not-found")


def sign_in_required() -> html.Div:
    return html.Div([
        html.H1("Sign-in required"),
        html.P("This page is for City staff. Sign in to see it.", className="lead"),
        html.P([html.A("Sign in", href="/sign-in", className="btn btn-primary me-2"),
                dcc.Link("Back to the city overview", href="/")]),
    ])


def forbidden() -> html.Div:
    return html.Div([
        html.H1("Not available to your account"),
        html.P("Your role or agencies do not include this page. Ask the performance team if you need it.",
               className="lead"),
        html.P(dcc.Link("Back to the city overview", href="/")),
    ], className="forbidden")


FOLLOW_UP_ICONS = {"white": "○", "yellow": "◐", "green": "✓", "red": "!"}


def follow_up_chip(colour: FollowUpColour) -> html.Span:
    """A follow-up's colour as a named chip (icon and words, never colour alone)."""
    return html.Span([html.Span(FOLLOW_UP_ICONS[colour.value], **aria(hidden="true")),
                      f" {colour.value.capitalize()}: {colour.label.lower()}"],
                     className=f"followup-chip followup-{colour.value}")


def alert(message: str, category: str) -> html.Div:
    """A Bootstrap alert that screen readers announce: errors at once (alert), news politely (status)."""
    return html.Div(message, className=f"alert alert-{category}", role="alert" if category == "danger" else "status")


def flashes(section: str | None = None) -> list[html.Div]:
    """What the last form post did, or why it was refused: the messages for ``section`` (the id of the part of
    the page the form sits in), or all of them. Categories are ``<colour>`` or ``<colour>:<section>``."""
    from flask import get_flashed_messages, has_request_context

    if not has_request_context():
        return []
    messages: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    shown = []
    for category, message in messages:
        colour, _, where = category.partition(":")
        if section is None or where == section:
            shown.append(alert(message, colour))
    return shown


def csrf_field() -> dcc.Input:
    from dashboard.auth import csrf_token

    return dcc.Input(type="hidden", name="csrf", value=csrf_token())


def post_button(action: str, label: str, *, hidden: dict[str, str] | None = None, color: str = "secondary",
                description: str | None = None) -> html.Form:
    """A one-button form posting to ``action`` (with the CSRF token)."""
    fields = [dcc.Input(type="hidden", name=k, value=v) for k, v in (hidden or {}).items()]
    return html.Form([csrf_field(), *fields,
                      html.Button(label, type="submit", className=f"btn btn-sm btn-outline-{color}",
                                  **(aria(label=description) if description else {}))],
                     action=action, method="post", className="d-inline")


def follow_up_table(rows: Sequence[FollowUpRow], caption: str, agency_names: Mapping[str, str], today: dt.date) -> Any:
    if not rows:
        return html.P("None.")
    body = [html.Tr([html.Th(dcc.Link(f.request, href=f"/follow-ups/{f.id}"), scope="row"),
                     html.Td(f"{f.owner_role}, {agency_names.get(f.owner_agency, f.owner_agency)}",
                             **data_label("Owner")),
                     html.Td(f.due_on.isoformat(), **data_label("Due")),
                     html.Td(f.deliverable.label, **data_label("Deliverable")),
                     html.Td(follow_up_chip(f.colour(today)), **data_label("Status"))]) for f in rows]
    head = html.Tr([html.Th(h, scope="col") for h in ("Follow-up", "Owner", "Due", "Deliverable", "Status")])
    return scroll_region(html.Table([html.Caption(caption), html.Thead(head), html.Tbody(body)],
                                    className="table table-sm followup-table stacks"), caption)
