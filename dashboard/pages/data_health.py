"""Data health ``/data-health`` (internal): questionable values by agency and rule, last refresh per metric,
failures, stale metrics, loads."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import dash
from dash import dcc, html

from dashboard.components import aria, assessment_chip, data_label, href, scroll_region
from dashboard.context import current_viewer, gate, today
from dashboard.page import guarded, paged, pager, shown_words
from dashboard.page_table import dash_page
from dashboard.views import choice
from data.access import FlaggedValue, HealthRow, LoadRow
from metrics.formatting import format_value
from metrics.issues import Issue
from metrics.periods import period_label
from metrics.spec import Grain
from metrics.status import Assessment, Status
from metrics.values import CITY, Verdict

dash.register_page(__name__, **dash_page(__name__))
PATH = "/data-health"


HEALTH_PAGE_SIZE = 50
SHOW = {"attention": "Need attention", "failed": "Failed", "stale": "Stale", "all": "All"}
NONE = {"attention": "None: every metric refreshed at its last run and has data as new as its frequency asks.",
        "failed": "None: no metric failed at its last refresh.", "stale": "None: every metric's data is current.",
        "all": "No metrics yet."}


@guarded
def layout(**query: str) -> html.Div:
    reads, viewer = gate(), current_viewer()
    runs, loads = reads.health(viewer)
    flagged = reads.flagged(viewer)
    assessments = reads.assessments(viewer, today())
    failed = [r for r in runs if r.status == "failed"]
    stale = [r for r in runs if assessments[r.metric.id].status is Status.STALE]
    attention = {r.metric.id for r in (*failed, *stale)}
    waiting = [f for f in flagged if f.row.verdict is None]
    who = "your" if viewer.can_manage else "the performance team's"
    return html.Div([
        html.H1("Data health"),
        html.P(f"{len(runs)} metrics: {len(failed)} failed at their last refresh, {len(stale)} stale. "
               f"The quality gate holds out {len(flagged) - _count(flagged, Verdict.CONFIRMED)} values; "
               f"{len(waiting)} are waiting for {who} review.", className="lead"),
        _set_aside(reads.set_aside(viewer)),
        _questionable(flagged, {r.metric.id for r in runs}, viewer.can_manage),
        _loads(loads),
        _metrics({"attention": [r for r in runs if r.metric.id in attention], "failed": failed, "stale": stale,
                  "all": runs}, assessments, query),
    ])


def _metrics(groups: dict[str, list[HealthRow]], assessments: dict[str, Assessment], query: dict[str, str]
             ) -> html.Section:
    """Each metric's last refresh, those that need attention first (failed, then stale), a page at a time."""
    show = choice(query, "show", SHOW, "attention") or "attention"
    rows = sorted(groups[show], key=lambda r: (r.status != "failed", r.metric.title))
    shown, number, pages = paged(rows, query, HEALTH_PAGE_SIZE)
    views = [html.Li(html.Span(f"{SHOW[key]} ({len(items)})", className="nav-link active", **aria(current="true"))
                     if key == show else
                     dcc.Link(f"{SHOW[key]} ({len(items)})", href=href(PATH, {"show": key}), className="nav-link"),
                     className="nav-item") for key, items in groups.items()]
    return html.Section([
        html.H2("Metrics", className="h4 mt-4", id="metrics"),
        html.Nav(html.Ul(views, className="nav nav-pills flex-wrap"), **aria(label="Which metrics")),
        html.P(f"{len(rows)} metrics" + shown_words(len(shown), number, pages, HEALTH_PAGE_SIZE) if rows else
               NONE[show], className="result-count", role="status"),
        html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                ("Metric", "Status", "Last refresh", "Result", "Values", "Error or warnings")])),
            html.Tbody([html.Tr([
                html.Th(dcc.Link(r.metric.title, href=f"/metrics/{r.metric.id}"), scope="row"),
                html.Td(assessment_chip(assessments[r.metric.id]), **data_label("Status")),
                html.Td(f"{r.started_at:%Y-%m-%d %H:%M}" if r.started_at else "never", **data_label("Last refresh")),
                html.Td(r.status or "—", **data_label("Result")), html.Td(f"{r.rows:,}", **data_label("Values")),
                html.Td((r.error or r.warnings or "")[:300], **data_label("Error or warnings")),
            ]) for r in shown]),
        ], className="table table-sm stacks") if shown else None,
        pager(PATH, {"show": show if show != "attention" else None}, number, pages),
    ], **aria(labelledby="metrics"))


def _loads(loads: list[LoadRow]) -> html.Section:
    """The latest load of each source: what it read, kept and rejected, why it failed, and what the table holds."""
    def when(moment: dt.datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment else "never"

    rows = [html.Tr([html.Th(r.source_id, scope="row"), html.Td(r.file), html.Td(r.status),
                     html.Td(when(r.finished_at)), html.Td(f"{r.rows_read:,}"),
                     html.Td(f"{r.rows_loaded:,}" if r.status == "success" else "none (previous table kept)"),
                     html.Td(f"{r.rows_rejected:,}"), html.Td(when(r.holds)), html.Td(r.error or "")])
            for r in loads]
    rejected = [html.Details([
        html.Summary(f"{r.source_id}: {r.rows_rejected:,} rejected rows"
                     + (f" (the first {len(r.rejections):,} are kept)" if len(r.rejections) < r.rows_rejected else "")),
        html.Ul([html.Li([html.Code(f"{r.file}:{line}"), f" {reason}"]) for line, reason in r.rejections],
                className="small")], className="values") for r in loads if r.rejections]
    return html.Section([
        html.H2("Source loads", className="h4 mt-4", id="loads"),
        html.P("A failed load changes nothing: the table keeps the rows of its last successful load "
               "(\"Table holds\")."),
        scroll_region(html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Source", "File", "Status", "Finished", "Read",
                                                                   "Loaded", "Rejected", "Table holds", "Error")])),
            html.Tbody(rows)], className="table table-sm"), "Table of source loads"),
        *rejected,
    ], **aria(labelledby="loads"))


def _set_aside(issues: tuple[Issue, ...]) -> html.Section | None:
    """Registry objects left out of the site because of their own errors (the rest publishes)."""
    if not issues:
        return None
    owners = sorted({f"{i.owner[0]} '{i.owner[1]}'" for i in issues if i.owner})
    return html.Section([
        html.H2("Set aside by registry errors", className="h4 mt-4", id="set-aside"),
        html.P([f"{len(owners)} registry {'entry is' if len(owners) == 1 else 'entries are'} not published until "
                f"fixed: {', '.join(owners[:12])}{' …' if len(owners) > 12 else ''}. Everything else publishes. ",
                html.Code("python -m pipeline validate"), " lists the same errors."]),
        scroll_region(html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Where", "Rule", "Error")])),
            html.Tbody([html.Tr([html.Td(html.Code(str(i.location))), html.Td(i.rule), html.Td(i.message)])
                        for i in issues])], className="table table-sm"), "Registry errors"),
    ], className="alert alert-warning", **aria(labelledby="set-aside"))


def _count(flagged: list[FlaggedValue], verdict: Verdict | None) -> int:
    return sum(1 for f in flagged if f.row.verdict is verdict)


def _questionable(flagged: list[FlaggedValue], scope: set[str], reviewer: bool) -> html.Section:
    """Counts by agency and rule, then every value still waiting for a review, citywide ones first."""
    names = {a.id: a.name for a in gate().registry.agencies.values()}
    tally: Counter[tuple[str, str, Verdict | None]] = Counter()
    for f in flagged:
        rule = next(flag.rule.label for flag in f.row.flags if flag.rule.holds_out)
        tally[(names.get(f.metric.agency, f.metric.agency), rule, f.row.verdict)] += 1
    groups = sorted({(agency, rule) for agency, rule, _ in tally})
    summary = html.Tbody([html.Tr([html.Th(agency, scope="row"), html.Td(rule),
                                   *(html.Td(str(tally[(agency, rule, v)])) for v in (None, Verdict.CONFIRMED,
                                                                                      Verdict.WRONG))])
                          for agency, rule in groups])
    waiting = sorted((f for f in flagged if f.row.verdict is None),
                     key=lambda f: (names.get(f.metric.agency, ""), f.row.geography != CITY, f.metric.title))
    registry = gate().registry
    samples = [html.Li(f"{s.title}: {s.coverage.sample}. Its {len(users)} measures are shown as a sample and not "
                       "judged.") for s in registry.sources.values() if s.coverage.sample
               and (users := [m for m in scope if registry.metrics[m].computation.source == s.id])]
    how = ("Review each one on its measure's page." if reviewer else
           "The performance team reviews each one with the agency; the measure's page says why it is held out.")
    return html.Section([
        html.H2("Questionable values", className="h4 mt-4", id="questionable"),
        html.P("Values the quality gate holds out of every status, score and agenda until the performance team "
               f"confirms them (they count again) or marks them wrong. {how}"),
        html.Div([html.P("Sources that are samples (nothing to review: the source says what it is):", className="mb-1"),
                  html.Ul(samples)]) if samples else None,
        scroll_region(html.Table([
            html.Caption("Held-out values by agency and rule"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Agency", "Rule", "Waiting", "Confirmed",
                                                                   "Marked wrong")])),
            summary], className="table table-sm"), "Held-out values by agency and rule") if groups
        else html.P("None: every value passed the quality gate."),
        html.Details([
            html.Summary(f"The {len(waiting)} values waiting for review"),
            scroll_region(html.Table([
                html.Caption(f"{len(waiting)} values waiting for review, by agency, citywide values first"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Measure", "Agency", "Period", "Place", "Value",
                                                                       "Why it is held out")])),
                html.Tbody([_waiting_row(f, names) for f in waiting])], className="table table-sm"),
                "Values waiting for review"),
        ], className="values", open=len(waiting) <= 20) if waiting else None,
    ], **aria(labelledby="questionable"))


def _waiting_row(f: FlaggedValue, names: dict[str, str]) -> html.Tr:
    m, v = f.metric, f.row
    fy_start = gate().registry.city.fiscal_year_start_month
    place = "City" if v.geography == CITY else f"{v.geography.replace('_', ' ').capitalize()} {v.geo_key}"
    cells: list[Any] = [
        html.Th(dcc.Link(m.title, href=f"/metrics/{m.id}#data-quality"), scope="row"),
        html.Td(names.get(m.agency, m.agency)), html.Td(period_label(v.period_start, Grain(v.grain), fy_start)),
        html.Td(place), html.Td(format_value(v.value, m.format, m.unit)),
        html.Td(f"{v.held_out[0].rule.label}: {v.held_out[0].reason}" if v.held_out else "")]
    return html.Tr(cells)
