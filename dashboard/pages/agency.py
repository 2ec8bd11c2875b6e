"""Agency ``/agencies/<id>``: an agency head's view, measures grouped by budget service, worst first."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard.components import breadcrumb, filter_form, measure_table, score_text, status_counts
from dashboard.context import current_viewer, gate, today
from dashboard.page import guarded, parse_filters
from dashboard.page_table import dash_page
from dashboard.views import measure_rows
from data.access import Snapshot
from data.errors import NotFound
from metrics.scores import summarize
from metrics.spec import MetricSpec
from metrics.status import Status

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(agency_id: str = "", **query: Any) -> html.Div:
    reads, viewer, day = gate(), current_viewer(), today()
    registry = reads.registry
    agency = registry.agencies.get(agency_id)
    if agency is None:
        raise NotFound(f"no agency '{agency_id}'")
    metrics = [m for m in reads.metrics(viewer) if m.agency == agency.id]
    status, _agency, sort = parse_filters(query, ())
    snapshot = reads.snapshot(viewer, day)
    path = f"/agencies/{agency.id}"
    groups: dict[str, list[MetricSpec]] = {}
    for m in metrics:
        for service_key in m.services or ("",):
            groups.setdefault(service_key, []).append(m)
    sections: list[Any] = []
    for service_id, members in sorted(groups.items(), key=lambda kv: _worst(kv[1], snapshot)):
        rows = measure_rows(members, snapshot, registry, status=status, sort=sort)
        if not rows:
            continue
        service = registry.services.get(service_id or "")
        title = (dcc.Link(f"{service.name} ({service.id})", href=f"/services/{service.id}") if service
                 else "Agency-wide measures")
        score = summarize(snapshot.assessments[m.id] for m in members).score
        sections.append(html.Section([
            html.H2([title, html.Span(f" · score {score_text(score)}", className="text-muted")], className="h5 mt-4"),
            measure_table(rows, path, {"status": status}, sort,
                          f"Measures of {service.name if service else agency.name}", show_agency=False),
        ]))
    return html.Div([
        breadcrumb([("Overview", "/"), (agency.name, None)]),
        html.H1(agency.shown_name),
        html.P(f"{len(metrics)} measures across {len(groups)} budget services. Services with the most "
               "off-track measures come first.", className="lead"),
        status_counts(summarize(snapshot.assessments[m.id] for m in metrics)),
        filter_form(path, {"status": status}, None, sort),
        *(sections or [html.P("No measures match these filters.")]),
    ])


def _worst(metrics: list[MetricSpec], snapshot: Snapshot) -> tuple[int, float]:
    """Most off-track measures first, then lowest score."""
    summary = summarize(snapshot.assessments[m.id] for m in metrics)
    return (-summary.count(Status.OFF_TRACK), summary.score or 0.0)
