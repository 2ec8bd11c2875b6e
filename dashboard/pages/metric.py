"""Metric detail ``/metrics/<id>``: status and why, trend against target, values table, areas, definition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import request

from dashboard.breakdown import breakdown_section, chart
from dashboard.components import (
    aria,
    assessment_chip,
    breadcrumb,
    csrf_field,
    flashes,
    href,
    post_button,
    scroll_region,
    value_context,
)
from dashboard.context import current_viewer, gate, today
from dashboard.figures import trend_figure
from dashboard.form_posts import recalled
from dashboard.metric_data import MetricPage, TableRow, chart_summary, metric_page
from dashboard.page import guarded
from dashboard.page_table import dash_page
from dashboard.quality import quality_section, value_caveat
from dashboard.views import GRAIN_NAMES, change_words, choice, target_words
from data.commentary import Audience, comments
from metrics.formatting import format_count, format_target, format_value
from metrics.periods import fiscal_year, period_label
from metrics.spec import MetricSpec, Visibility
from metrics.status import Status

dash.register_page(__name__, **dash_page(__name__))
AUDIENCE_NOTES = {Audience.PUBLIC: " · public", Audience.INTERNAL: " · internal: its agency and the Mayor's office",
                  Audience.STAFF: " · all City staff"}


@guarded
def layout(metric_id: str = "", **query: Any) -> html.Div:
    page = metric_page(gate(), current_viewer(), metric_id, query, today())
    m = page.metric
    geographies = gate().registry.city.geographies
    chosen = choice(query, "geography", [b.geography for b in page.breakdowns])
    fy_start = gate().registry.city.fiscal_year_start_month
    return html.Div([
        _breadcrumb(m),
        html.H1(m.title),
        _as_of_banner(page),
        html.Div([assessment_chip(page.assessment), html.P(page.assessment.sentence, className="status-sentence")],
                 className="status-box", role="status"),
        quality_section(page, fy_start, current_viewer()),
        _facts(page),
        html.H2("Trend", className="h4 mt-4"),
        _grain_tabs(page),
        html.Figure([
            chart(trend_figure(page.points, m.format, _baseline(page),
                                "Sample (not judged)" if page.sample else "Questionable (not used)")),
            html.Figcaption(chart_summary(page), className="chart-summary"),
        ]) if page.points else html.P("No values yet."),
        _values_table(m, page.rows, f"Values by {GRAIN_NAMES[page.grain].lower() if page.grain else 'period'}"),
        html.P([html.A("Download these values (CSV)", href=href(f"/download/metrics/{m.id}.csv",
                                                                 {"grain": page.grain.value if page.grain else None}),
                       className="btn btn-outline-primary btn-sm me-2", download=f"{m.id}.csv"),
                html.A("Download every value (CSV)", href=f"/download/metrics/{m.id}.csv?grain=all",
                       className="btn btn-outline-primary btn-sm", download=f"{m.id}-all.csv")]),
        _embed(m),
        _as_of_form(page),
        breakdown_section(page, geographies, chosen),
        _commentary(page),
        _about(page),
    ])


def _as_of_banner(page: MetricPage) -> html.Div | None:
    if page.as_of is None:
        return None
    day = f"{page.as_of:%A, %B %-d, %Y}"
    said = (f"This is the page as it stood at the end of {day}: the values and the status the site showed then. "
            if page.points or page.breakdowns else
            f"By the end of {day} this site had published no figure of this measure: there is nothing to show as "
            "of then. ")
    return html.Div([said,
                     dcc.Link("See the current page", href=f"/metrics/{page.metric.id}")],
                    className="as-of-banner", role="note")


def _as_of_form(page: MetricPage) -> html.Form:
    """A GET form for the page on a past day (what a CitiStat session or a news story saw)."""
    hidden = [dcc.Input(type="hidden", name="grain", value=page.grain.value)] if page.grain else []
    return html.Form([
        *hidden,
        dbc.Label("See this page as it stood on", html_for="as-of", className="me-2 mb-0"),
        dbc.Input(id="as-of", name="as_of", type="date", max=today().isoformat(),
                  value=page.as_of.isoformat() if page.as_of else "", className="as-of-input me-2"),
        dbc.Button("Show", type="submit", color="secondary", size="sm"),
    ], action=f"/metrics/{page.metric.id}", method="get", className="as-of-form d-flex flex-wrap align-items-center "
                                                                     "gap-1 mb-3")


def _commentary(page: MetricPage) -> html.Section | None:
    """Notes on the values, per period; the metric's agency and the performance team write them."""
    viewer, m = current_viewer(), page.metric
    notes = comments(gate(), viewer, [m.id])[m.id]
    writer = viewer.can_comment_on(m)
    if not notes and not writer:
        return None
    fy_start = gate().registry.city.fiscal_year_start_month
    items = [html.Li([
        html.Span(period_label(c.period_start, c.grain, fy_start), className="fw-semibold"),
        html.Span(AUDIENCE_NOTES[c.visibility], className="text-muted") if viewer.internal else None,
        html.P(c.body, className="mb-1"),
        html.Small(f"{c.author if viewer.internal else 'City staff'}, {c.created_at:%Y-%m-%d}",
                   className="text-muted"),
        post_button(f"/commentary/{c.id}/withdraw", "Withdraw", description=f"Withdraw the comment on "
                    f"{period_label(c.period_start, c.grain, fy_start)}", color="danger")
        if viewer.can_withdraw_comment(m, by_agency=c.by_agency) else None,
    ], className="comment") for c in notes]
    return html.Section([
        html.H2("Commentary", className="h4 mt-4"),
        *flashes("commentary"),
        html.Ul(items, className="list-unstyled comments") if items else html.P("No commentary yet."),
        _comment_form(page) if writer and page.points else None,
    ], id="commentary")


def _comment_form(page: MetricPage) -> html.Form:
    typed = recalled("comment")
    m = page.metric
    periods = [{"label": p.label, "value": f"{page.grain.value if page.grain else ''}:{p.start}"}
               for p in reversed(page.points)]
    visibilities = [{"label": "Internal (agency, Mayor's office)", "value": Audience.INTERNAL.value},
                    {"label": "All City staff", "value": Audience.STAFF.value}]  # the first is the default
    if m.visibility is Visibility.PUBLIC:
        visibilities.append({"label": "Public (residents see it)", "value": Audience.PUBLIC.value})
    return html.Form([
        csrf_field(),
        dbc.Row([
            dbc.Col([dbc.Label("Period", html_for="comment-period"),
                     dbc.Select(id="comment-period", name="period", options=periods,
                                value=typed.get("period", periods[0]["value"]))], md=4),
            dbc.Col([dbc.Label("Who can read it", html_for="comment-visibility"),
                     dbc.Select(id="comment-visibility", name="visibility", options=visibilities,
                                value=typed.get("visibility", visibilities[0]["value"]))], md=4),
        ], className="g-2"),
        html.Div([dbc.Label("Comment", html_for="comment-body"),
                  dbc.Textarea(id="comment-body", name="body", rows=3, required=True, maxLength=2000,
                               value=typed.get("body", ""))], className="mt-2"),
        dbc.Button("Publish comment", type="submit", color="primary", className="mt-2"),
    ], action=f"/metrics/{m.id}/commentary", method="post", className="comment-form")


def _breadcrumb(m: MetricSpec) -> html.Nav:
    registry = gate().registry
    pillar_id = registry.pillar_of(m)
    items: list[tuple[str, str | None]] = [("Overview", "/")]
    if pillar_id:
        items.append((f"Pillar {pillar_id}: {registry.pillars[pillar_id].name}", f"/pillars/{pillar_id}"))
    items.append((registry.agencies[m.agency].name, f"/agencies/{m.agency}"))
    items.append((m.title, None))
    return breadcrumb(items)


def _baseline(page: MetricPage) -> float | None:
    """The baseline, unless it is on another scale than the values (then the page says so instead)."""
    m = page.metric
    if m.baseline is None or any(r.target is None for r in page.assessment.references):
        return None
    return m.baseline.value


def _year_target(page: MetricPage) -> float | None:
    """The target of the latest data's fiscal year (on the values' scale), when the status could not use it."""
    a = page.assessment
    if a.data_through is None:
        return None
    year = fiscal_year(a.data_through, gate().registry.city.fiscal_year_start_month)
    target = page.metric.annual_target(year)
    if target is None or any(r.target == target for r in a.references):
        return None
    return target.value


def _facts(page: MetricPage) -> dbc.Row:
    m, a = page.metric, page.assessment
    notes = [n for n in ("sample" if page.sample else None,
                         "not used" if a.status is Status.NOT_JUDGED and a.value is not None else None) if n]
    change = change_words(m, a)
    latest = [format_value(a.value, m.format, m.unit) if a.value is not None else "No data",
              html.Span(f" · {', '.join(notes)}", className="fact-note") if notes and a.value is not None else None,
              *value_context(a.period, change)]
    year_target = _year_target(page)
    has_target = a.target is not None or year_target is not None
    target = (target_words(m, a) if a.target is not None else
              format_value(year_target, m.format, m.unit) if year_target is not None else "None set")
    fy_start = gate().registry.city.fiscal_year_start_month
    year = f"for FY{fiscal_year(a.data_through, fy_start)}" if a.data_through and has_target else None
    facts: list[tuple[str, Any]] = [
        ("Latest", latest),
        ("Target", [target, *value_context(year)]),
        ("Better", {"increase": "Higher", "decrease": "Lower", "maintain": "Within a band",
                    "none": "No direction"}[m.direction.value]),
        ("Data through", f"{a.data_through:%b} {a.data_through.day}, {a.data_through.year}" if a.data_through else "—")]
    return dbc.Row([dbc.Col(html.Div([html.Div(label, className="fact-label"), html.Div(value, className="fact-value")],
                                     className="fact"), xs=6, md=3) for label, value in facts], className="facts g-3")


def _embed(m: MetricSpec) -> html.Details | None:
    """The chart's embed code, for a public measure (``/embed/metrics/<id>``: no site frame, source and date)."""
    if m.visibility is not Visibility.PUBLIC:
        return None
    snippet = (f'<iframe src="{request.host_url}embed/metrics/{m.id}" title="{m.title}" width="100%" height="460" '
               'style="border:0"></iframe>')
    return html.Details([html.Summary("Embed this chart"),
                         dbc.Label("Copy this into a web page to show the chart with its source and date:",
                                   html_for="embed-code", className="small mt-2"),
                         dbc.Textarea(id="embed-code", value=snippet, readOnly=True, rows=3, className="small")],
                        className="embed mb-3")


def _grain_tabs(page: MetricPage) -> html.Nav | None:
    if len(page.grains) < 2:
        return None
    links = [html.Li(html.A(GRAIN_NAMES[g], href=href(f"/metrics/{page.metric.id}", {"grain": g.value}),
                            className="nav-link" + (" active" if g == page.grain else ""),
                            **(aria(current="page") if g == page.grain else {})), className="nav-item")
             for g in page.grains]
    return html.Nav(html.Ul(links, className="nav nav-pills"), **aria(label="Period length"))


def _number(value: float | None) -> str:
    return format_count(value) if value is not None else ""


def _values_table(m: MetricSpec, rows: Sequence[TableRow], caption: str, first: str = "Period") -> Any:
    if not rows:
        return None
    ratio = any(r.denominator is not None for r in rows)
    targets = any(r.target is not None for r in rows)
    notes = any(r.note for r in rows)
    caveats = [value_caveat(r.source) for r in rows]
    head = [first, "Value", *(["Numerator", "Denominator"] if ratio else []), *(["Target"] if targets else []),
            *(["Data quality"] if any(caveats) else []), *(["Note"] if notes else [])]
    body = []
    for r, caveat in zip(rows, caveats, strict=True):
        cells: list[Any] = [r.period if first == "Period" else r.place, format_value(r.value, m.format, m.unit)]
        cells += [_number(r.numerator), _number(r.denominator)] if ratio else []
        cells += [format_target(r.target, m.format, m.unit) if r.target is not None else "—"] if targets else []
        cells += [caveat or ""] if any(caveats) else []
        cells += [r.note or ""] if notes else []
        body.append(html.Tr([html.Th(cells[0], scope="row"), *(html.Td(c) for c in cells[1:])]))
    return html.Details([
        html.Summary(f"{caption} (table)"),
        scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                                  html.Tbody(body)], className="table table-sm values-table"), caption),
    ], className="values", open=len(rows) <= 12)


def _about(page: MetricPage) -> html.Div:
    m = page.metric
    registry = gate().registry
    source = registry.sources.get(m.computation.source)
    services = [dcc.Link(registry.services[s].name, href=f"/services/{s}", className="me-2")
                for s in m.services if s in registry.services]
    through = page.assessment.data_through
    judged_year = fiscal_year(through, registry.city.fiscal_year_start_month) if through else None
    target = m.annual_target(judged_year) if judged_year and page.assessment.target is not None else None
    rows = [
        ("Definition", m.definition),
        ("How it is computed", m.computation.formula or (m.kind.description if m.kind else "Reported by the agency")),
        ("Source", f"{source.title}" + (f" — {source.attribution}" if source and source.attribution else "")
         if source else m.computation.source),
        ("Collected", m.computation.collection),
        ("Owner", m.owner_role),
        ("Frequency", m.frequency.value.capitalize()),
        ("Measure type", m.measure_type.value.capitalize()),
        ("Agency", dcc.Link(registry.agencies[m.agency].name, href=f"/agencies/{m.agency}")),
        ("Budget services", services or None),
        ("Baseline", f"{format_value(m.baseline.value, m.format, m.unit)}"
                     + (f" (FY{m.baseline.fiscal_year})" if m.baseline.fiscal_year else "")
                     + ("" if _baseline(page) is not None else " — on another scale than the values, not used")
         if m.baseline else None),
        ("Target note", target.note if target else None),
        ("Why it matters", m.notes),
        ("Last refreshed", page.last_refresh.strftime("%Y-%m-%d %H:%M UTC") if page.last_refresh else "Not yet"),
    ]
    return html.Div([
        html.H2("About this measure", className="h4 mt-4"),
        html.Dl(sum(([html.Dt(k), html.Dd(v)] for k, v in rows if v), []), className="about-measure"),
    ])
