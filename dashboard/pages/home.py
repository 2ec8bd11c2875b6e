"""City overview ``/``: the Action Plan's pillars with their scores, status counts and freshness."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import pillar_card, score_text
from dashboard.context import current_viewer, gate, today
from dashboard.page import freshest, guarded
from dashboard.page_table import dash_page
from dashboard.score_trend import beside, score_trend
from metrics.scores import Level
from metrics.spec import MetricSpec
from metrics.status import Status
from metrics.values import CITY

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    reads, viewer, day = gate(), current_viewer(), today()
    registry = reads.registry
    pillars = sorted(registry.pillars.values(), key=lambda p: p.sort_order)
    by_pillar = reads.summaries(viewer, day, Level.PILLAR)
    city = reads.summaries(viewer, day, Level.CITY).get(CITY)
    visible = reads.metrics(viewer)
    members = {p.id: [m for m in visible if registry.pillar_of(m) == p.id] for p in pillars}
    if city is None:
        return html.Div([html.H1(f"How {registry.city.name} is doing"), html.P("No public measures yet.")])
    on, near, off = (city.count(s) for s in (Status.ON_TRACK, Status.NEAR_TARGET, Status.OFF_TRACK))
    summary = (f"Of {city.metrics} public measures, at their latest reading {on} are on track, {near} near target "
               f"and {off} off track; the rest are informational or have no usable data. {city.stale} of the "
               f"{city.metrics} are waiting for newer data. The city score averages each measure's value against its "
               "target: 1.00 means at target.")
    return html.Div([
        html.H1(f"How {registry.city.name} is doing"),
        beside([html.P([html.Strong(f"City score {score_text(city.score)}. "), summary], className="lead"),
                html.P(["How status and scores work: ", dcc.Link("methodology", href="/about"), "."],
                       className="small")],
               score_trend(reads.score_history(viewer, day), CITY, "City")),
        html.H2(f"The pillars of {registry.city.plan}", className="visually-hidden"),
        dbc.Row([dbc.Col(pillar_card(p, by_pillar.get(p.id), freshest(members[p.id], day)), md=6, xl=4,
                         className="mb-4") for p in pillars]),
        _outside_pillars([m for m in visible if registry.pillar_of(m) is None], city.metrics),
        html.P(["Browse by ", dcc.Link("Action Plan goal", href="/action-plan"), ", ",
                dcc.Link("agency", href="/agencies"), ", ", dcc.Link("budget service", href="/services"), " or ",
                dcc.Link("area", href="/areas"), "."]),
    ])


def _outside_pillars(unlinked: list[MetricSpec], total: int) -> html.P | None:
    """The measures no pillar holds, so the cards and the city's count add up."""
    if not unlinked:
        return None
    registry = gate().registry
    agencies = sorted({m.agency for m in unlinked}, key=lambda a: registry.agencies[a].name)
    links: list[Any] = []
    for agency_id in agencies:
        count = sum(m.agency == agency_id for m in unlinked)
        links += [", " if links else "", dcc.Link(registry.agencies[agency_id].name, href=f"/agencies/{agency_id}"),
                  f" ({count})"]
    return html.P([f"The pillars hold {total - len(unlinked)} of the {total} public measures; the other "
                   f"{len(unlinked)} are not linked to a pillar by the City yet and are on their agencies' pages: ",
                   *links, "."], className="outside-pillars")
