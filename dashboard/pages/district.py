"""Council district ``/districts/<n>``: every measure with a district breakdown, this district against the city."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.components import aria, breadcrumb, scroll_region
from dashboard.context import current_viewer, gate, today
from dashboard.metric_data import BREAKDOWN, district_reference, metric_page
from dashboard.page import guarded
from dashboard.quality import value_caveat
from data.access import NotFound
from metrics.formatting import format_value
from metrics.spec import Direction

dash.register_page(__name__, path_template="/districts/<district>", title="Council district", name="District")


@guarded()
def layout(district: str = "") -> html.Div:
    reads, viewer, day = gate(), current_viewer(), today()
    registry = reads.registry
    geography = registry.city.geographies.get(BREAKDOWN)
    if geography is None or not district.isdigit() or not 1 <= int(district) <= 99:
        raise NotFound(f"no district '{district}'")
    rows = []
    for m in sorted(reads.metrics(viewer), key=lambda m: m.title):
        if BREAKDOWN not in m.geographies:
            continue
        page = metric_page(reads, viewer, m.id, {}, day)
        here = next((r for r in page.district_rows if r.place == district), None)
        if here is None:
            continue
        fmt = lambda v, m=m: format_value(v, m.format, m.unit)  # noqa: E731
        reference, label = district_reference(page)
        shown = here.value if not here.source.questionable or page.sample else None
        rows.append(html.Tr([
            html.Th(dcc.Link(m.title, href=f"/metrics/{m.id}"), scope="row"),
            html.Td(page.district_period), html.Td([fmt(here.value), value_caveat(here.source)]), html.Td(label),
            html.Td(_comparison(m.direction, shown, reference)),
        ]))
    if not rows:
        raise NotFound(f"no values for {geography.label.lower()} {district}")
    return html.Div([
        breadcrumb([("Overview", "/"), (f"{geography.label} {district}", None)]),
        html.H1(f"{geography.label} {district}"),
        html.P(f"Every measure with a breakdown by {geography.label.lower()}: this district's latest value beside "
               "the citywide rate, or for counts the average district. Averages hide: a measure on track citywide "
               "can be off track here.",
               className="lead"),
        scroll_region(html.Table([
            html.Caption(f"Measures in {geography.label.lower()} {district} against the city"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                ("Measure", "Period", f"District {district}", "Compared with", "Difference")])),
            html.Tbody(rows)], className="table table-hover"), f"Measures in {geography.label.lower()} {district}"),
        html.Nav([dcc.Link(f"District {n}", href=f"/districts/{n}", className="me-2") for n in range(1, 15)],
                 **aria(label="Other districts"), className="district-links"),
    ])


def _comparison(direction: Direction, here: float | None, city: float | None) -> str:
    if here is None or city is None or city == 0:
        return "—"
    gap = here / city - 1
    if abs(gap) < 0.005:
        return "About the same"
    side = "above" if gap > 0 else "below"
    if direction is Direction.NONE:
        return f"{abs(gap):.0%} {side}"
    better = (gap > 0) == (direction is Direction.INCREASE)
    return f"{abs(gap):.0%} {side} ({'better' if better else 'worse'})"
