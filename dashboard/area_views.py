"""The area pages: ``/areas`` (every geography), ``/areas/<geography>`` (map and list of its areas) and
``/areas/<geography>/<key>`` (every measure there against the city or the average area)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from dash import dcc, html

from dashboard.area_data import Area, AreaMeasure, area_measures, areas, breakdowns, find_area, geography
from dashboard.breakdown import chart
from dashboard.components import aria, breadcrumb, data_label, scroll_region
from dashboard.context import current_viewer, gate
from dashboard.geo import area_href, area_title
from dashboard.maps import MAP_ID, MAP_LOCATION_ID, area_map
from dashboard.quality import value_caveat
from data.errors import NotFound
from metrics.formatting import format_value
from metrics.spec import Direction, FormatType, GeographySpec, MetricSpec

LINKED_AT_MOST = 20  # an area page links to its siblings when there are this few


def plural(label: str) -> str:
    """"Neighborhoods", "Police districts", "Community Statistical Areas", "Counties"."""
    if label.endswith(("s", "x", "ch", "sh")):
        return f"{label}es"
    if label.endswith("y") and label[-2:-1].lower() not in "aeiou":
        return f"{label[:-1]}ies"
    return f"{label}s"


def split_address(where: str) -> tuple[str, str | None]:
    """``neighborhood/BUTCHER%27S%20HILL`` → ("neighborhood", "BUTCHER'S HILL"); the key is decoded once."""
    geography_id, _, key = where.partition("/")
    return geography_id, urllib.parse.unquote(key) if key else None


def page_title(where: str = "", **_: str) -> str:
    """The browser title of an area address (never fails: unknown addresses get a generic title)."""
    geography_id, key = split_address(where)
    spec = gate().registry.city.geographies.get(geography_id)
    if spec is None:
        return "Areas"
    return area_title(spec, key) if key else plural(spec.label)


def geographies_page() -> html.Div:
    reads, viewer = gate(), current_viewer()
    items = []
    for geography_id, spec in reads.registry.city.geographies.items():
        measured = breakdowns(reads, viewer, geography_id)
        found = areas(reads, viewer, geography_id)
        count = _measures(len(measured)) if measured else "no measures yet"
        items.append(html.Li([dcc.Link(plural(spec.label), href=f"/areas/{geography_id}", className="fw-semibold"),
                              f": {len(found)} areas, {count}"]))
    return html.Div([
        breadcrumb([("Overview", "/"), ("Areas", None)]),
        html.H1("Areas"),
        html.P("The city's measures by place. Averages hide: a measure on track citywide can be off track in one "
               "district or neighborhood. Pick a kind of area to see every area and its measures.", className="lead"),
        html.Ul(items, className="area-kinds"),
    ])


def geography_page(geography_id: str) -> html.Div:
    reads, viewer = gate(), current_viewer()
    spec = geography(reads, geography_id)
    found = areas(reads, viewer, geography_id)
    measured = breakdowns(reads, viewer, geography_id)
    title = plural(spec.label)
    counts = {a.key: float(a.measures) for a in found} if any(a.measures for a in found) else {}
    figure = area_map(geography_id, spec, counts, FormatType.COUNT, "measures with values")
    lead = (f"{len(found)} areas. Every measure broken down by {spec.label.lower()} shows each area's latest value "
            "beside the city's. Pick an area on the map or in the list." if measured else
            f"{len(found)} areas. No measure you can see is broken down by {spec.label.lower()} yet.")
    items = [html.Li([dcc.Link(a.name, href=area_href(geography_id, a.key)),
                      html.Span(f" {_measures(a.measures)}", className="area-count")])
             for a in found]
    return html.Div([
        breadcrumb([("Overview", "/"), ("Areas", "/areas"), (title, None)]),
        html.H1(title),
        html.P(lead, className="lead"),
        html.Figure([chart(figure, MAP_ID), dcc.Location(id=MAP_LOCATION_ID, refresh="callback-nav"),
                     html.Figcaption(_map_summary(title, found), className="chart-summary")],
                    className="area-index-map") if figure else None,
        html.Div([html.H2("Measures by " + spec.label.lower(), className="h5"),
                  html.Ul([html.Li(dcc.Link(m.title, href=f"/metrics/{m.id}?geography={geography_id}"))
                           for m, _ in measured])]) if measured else None,
        html.H2(f"Every {spec.label.lower()}", className="h5 mt-3", id="area-list-heading"),
        html.P("Each with how many measures have a value there in their latest period.", className="text-muted"),
        html.Ul(items, className="area-list", **aria(labelledby="area-list-heading")),
    ])


def _map_summary(title: str, found: list[Area]) -> str:
    counts = {a.measures for a in found}
    shading = (f"every area has {_measures(counts.pop())} with values" if len(counts) == 1 else
               "darker areas have more measures with values")
    return f"Map of {title.lower()}: {shading}. Select an area to open its page, or use the list below."


def _measures(count: int) -> str:
    return f"{count} measure{'s' if count != 1 else ''}"


def area_page(geography_id: str, key: str) -> html.Div:
    reads, viewer = gate(), current_viewer()
    spec = geography(reads, geography_id)
    area = find_area(reads, viewer, geography_id, key)
    title = area_title(spec, area.key)
    measures = area_measures(reads, viewer, geography_id, area.key)
    head = ("Measure", "Period", "Here", "Compared with", "Difference")
    body = [_row(item) for item in measures]
    caption = f"Measures in {title} against the city"
    return html.Div([
        breadcrumb([("Overview", "/"), ("Areas", "/areas"), (plural(spec.label), f"/areas/{geography_id}"),
                    (title, None)]),
        html.H1(title),
        html.P(f"Every measure with a breakdown by {spec.label.lower()}: this area's latest value beside the "
               f"citywide rate, or for counts the average {spec.label.lower()}. Averages hide: a measure on track "
               "citywide can be off track here.", className="lead"),
        scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                                  html.Tbody(body)], className="table table-hover area-measures stacks"), caption)
        if body else html.P("No measure you can see has a value for this area yet.", className="empty"),
        _siblings(geography_id, spec, area),
    ])


def _row(item: AreaMeasure) -> html.Tr:
    """One measure; on a phone each cell stacks under its column's name (``data-label``, see style.css)."""
    m, row = item.metric, item.row
    cells = [("Period", item.breakdown.period), ("Here", [format_value(row.value, m.format, m.unit),
                                                          value_caveat(row.source)]),
             ("Compared with", item.reference_label),
             ("Difference", comparison(m, row.value if item.judged else None, item.reference))]
    return html.Tr([
        html.Th(dcc.Link(m.title, href=f"/metrics/{m.id}?geography={item.breakdown.geography}"), scope="row"),
        *(html.Td(content, **data_label(name)) for name, content in cells)])


def _siblings(geography_id: str, spec: GeographySpec, area: Area) -> Any:
    others = [a for a in areas(gate(), current_viewer(), geography_id) if a.key != area.key]
    label = f"Other {plural(spec.label).lower()}"
    if len(others) > LINKED_AT_MOST:
        return html.P(dcc.Link(f"Every {spec.label.lower()}", href=f"/areas/{geography_id}"))
    return html.Nav([dcc.Link(a.name if not a.name.isdigit() else f"{spec.label} {a.name}",
                              href=area_href(geography_id, a.key), className="me-2") for a in others],
                    **aria(label=label), className="district-links")


def comparison(metric: MetricSpec, here: float | None, reference: float | None) -> str:
    """How far the area is from its reference: percentage points for percents, "2.4 times" from double on,
    else a relative difference; better or worse when the measure has a direction."""
    if here is None or reference is None or (reference == 0 and metric.format is not FormatType.PERCENT):
        return "—"
    if metric.format is FormatType.PERCENT:
        gap, text = here - reference, f"{abs(here - reference) * 100:.1f} points"
        same = abs(gap) < 0.0005
    else:
        gap = here / reference - 1
        text, same = (f"{here / reference:.1f} times" if here / reference >= 2 else f"{abs(gap):.0%}"), abs(gap) < 0.005
    if same:
        return "About the same"
    text += " as high" if gap > 0 and "times" in text else " above" if gap > 0 else " below"
    if metric.direction is Direction.NONE:
        return text
    better = (gap > 0) == (metric.direction is Direction.INCREASE)
    return f"{text} ({'better' if better else 'worse'})"


def area_or_index(where: str) -> html.Div:
    """The page an ``/areas/...`` address names."""
    geography_id, key = split_address(where)
    if key is None:
        return geography_page(geography_id)
    if "/" in geography_id or not key.strip():
        raise NotFound(f"no area '{where[:40]}'")
    return area_page(geography_id, key)
