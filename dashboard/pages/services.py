"""Budget services ``/services``: every service with public measures, under the agency that runs it."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.components import breadcrumb
from dashboard.context import current_viewer, gate, today
from dashboard.index_views import entry, group
from dashboard.page import guarded
from dashboard.page_table import dash_page
from metrics.scores import Level

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    reads, viewer = gate(), current_viewer()
    registry = reads.registry
    summaries = reads.summaries(viewer, today(), Level.SERVICE)
    by_agency: dict[str, list[html.Li]] = {}
    for service in sorted((registry.services[s] for s in summaries if s in registry.services),
                          key=lambda s: s.name.lower()):
        by_agency.setdefault(service.agency, []).append(
            entry(f"{service.name} ({service.id})", f"/services/{service.id}", summaries[service.id]))
    names = {a: registry.agencies[a].shown_name if a in registry.agencies else a for a in by_agency}
    ordered = sorted(by_agency, key=lambda a: names[a].lower())
    return html.Div([
        breadcrumb([("Overview", "/"), ("Budget services", None)]),
        html.H1("Budget services"),
        html.P(f"{sum(len(v) for v in by_agency.values())} services of the budget book have public measures, listed "
               "under the agency that runs them.", className="lead"),
        html.P(["By agency instead: ", dcc.Link("every agency", href="/agencies"), "."]),
        *[group(names[a], by_agency[a], f"agency-{number}") for number, a in enumerate(ordered, start=1)],
    ])
