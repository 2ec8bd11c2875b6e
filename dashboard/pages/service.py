"""Budget service ``/services/<id>``: the budget book's view, measures by type."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard.components import breadcrumb, measure_table
from dashboard.context import current_viewer, gate, today
from dashboard.page import guarded
from dashboard.page_table import dash_page
from dashboard.views import measure_rows
from data.errors import NotFound
from metrics.spec import MeasureType

dash.register_page(__name__, **dash_page(__name__))
TYPE_QUESTIONS = {
    MeasureType.OUTPUT: "How much did we do?",
    MeasureType.EFFICIENCY: "At what cost or speed?",
    MeasureType.EFFECTIVENESS: "How well did we do it?",
    MeasureType.OUTCOME: "Is anyone better off?",
}


@guarded
def layout(service_id: str = "") -> html.Div:
    reads, viewer = gate(), current_viewer()
    registry = reads.registry
    service = registry.services.get(service_id)
    if service is None:
        raise NotFound(f"no service '{service_id}'")
    agency = registry.agencies[service.agency]
    metrics = [m for m in reads.metrics(viewer) if service.id in m.services]
    snapshot = reads.snapshot(viewer, today())
    sections: list[Any] = []
    for kind, question in TYPE_QUESTIONS.items():
        members = [m for m in metrics if m.measure_type is kind]
        if members:
            sections.append(html.Section([
                html.H2(f"{kind.value.capitalize()} measures", className="h5 mt-4"),
                html.P(question, className="text-muted"),
                measure_table(measure_rows(members, snapshot, registry, sort="title"), f"/services/{service.id}", {},
                              "title", f"{kind.value.capitalize()} measures of {service.name}", show_agency=False),
            ]))
    return html.Div([
        breadcrumb([("Overview", "/"), (agency.name, f"/agencies/{agency.id}"), (service.name, None)]),
        html.H1(f"{service.name}"),
        html.P([f"Budget service {service.id} of ", dcc.Link(agency.name, href=f"/agencies/{agency.id}"), "."],
               className="lead"),
        html.P(service.description) if service.description else None,
        *(sections or [html.P("No public measures for this service yet.")]),
    ])
