"""Data health ``/data-health`` (internal): last refresh per metric, failures, stale metrics, loads."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.components import assessment_chip, scroll_region
from dashboard.context import current_viewer, gate, today
from dashboard.page import guarded
from metrics.status import Status

dash.register_page(__name__, path="/data-health", title="Data health", name="Data health")


@guarded()
def layout() -> html.Div:
    reads, viewer = gate(), current_viewer()
    runs, loads = reads.health(viewer)
    assessments = reads.assessments(viewer, today())
    failed = [r for r in runs if r.status == "failed"]
    stale = [r for r in runs if assessments[r.metric.id].status is Status.STALE]
    return html.Div([
        html.H1("Data health"),
        html.P(f"{len(runs)} metrics: {len(failed)} failed at their last refresh, {len(stale)} stale.",
               className="lead"),
        html.H2("Source loads", className="h4 mt-4"),
        html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                        ("Source", "File", "Status", "Finished", "Loaded", "Rejected", "Error")])),
                    html.Tbody([html.Tr([html.Td(r.source_id), html.Td(r.file), html.Td(r.status),
                                         html.Td(f"{r.finished_at:%Y-%m-%d %H:%M}" if r.finished_at else ""),
                                         html.Td(f"{r.rows_loaded:,}"), html.Td(f"{r.rows_rejected:,}"),
                                         html.Td(r.error or "")]) for r in loads])],
                   className="table table-sm"),
        html.H2("Metrics", className="h4 mt-4"),
        scroll_region(html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                ("Metric", "Status", "Last refresh", "Result", "Values", "Error or warnings")])),
            html.Tbody([html.Tr([
                html.Td(dcc.Link(r.metric.title, href=f"/metrics/{r.metric.id}")),
                html.Td(assessment_chip(assessments[r.metric.id])),
                html.Td(f"{r.started_at:%Y-%m-%d %H:%M}" if r.started_at else "never"),
                html.Td(r.status or "—"), html.Td(f"{r.rows:,}"),
                html.Td((r.error or r.warnings or "")[:300]),
            ]) for r in sorted(runs, key=lambda r: (r.status != "failed", r.metric.title))]),
        ], className="table table-sm"), "Metric refreshes"),
    ])
