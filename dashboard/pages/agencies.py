"""Agencies ``/agencies``: every agency with public measures, grouped by the deputy mayor it reports to."""

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
INDEPENDENT = "Other agencies"


@guarded
def layout() -> html.Div:
    reads, viewer = gate(), current_viewer()
    registry = reads.registry
    summaries = reads.summaries(viewer, today(), Level.AGENCY)
    areas: dict[str, list[html.Li]] = {}
    for agency in sorted((registry.agencies[a] for a in summaries), key=lambda a: a.shown_name.lower()):
        areas.setdefault(agency.deputy_mayor_area or INDEPENDENT, []).append(
            entry(agency.shown_name, f"/agencies/{agency.id}", summaries[agency.id]))
    ordered = sorted(areas, key=lambda a: (a == INDEPENDENT, a.lower()))
    return html.Div([
        breadcrumb([("Overview", "/"), ("Agencies", None)]),
        html.H1("Agencies"),
        html.P(f"{len(summaries)} agencies report public measures, grouped by the deputy mayor or branch they answer "
               "to. Each agency's page shows its measures by budget service.", className="lead"),
        html.P(["Looking for a budget service? See ", dcc.Link("every budget service", href="/services"), "."]),
        *[group(area, areas[area], f"area-{number}") for number, area in enumerate(ordered, start=1)],
    ])
