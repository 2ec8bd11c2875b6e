"""The metric page's breakdown by area: a choice of geography, a map, a bar chart that stays readable for hundreds
of areas, and the table of every area, each linked to its page."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import aria, href, scroll_region
from dashboard.figures import MANY_AREAS, SHOWN_EACH_END, area_bar
from dashboard.geo import area_href, area_name
from dashboard.maps import MAP_ID, MAP_LOCATION_ID, area_map, areas_without_value
from dashboard.metric_data import Breakdown, MetricPage, area_reference, judged_areas
from dashboard.quality import value_caveat
from metrics.formatting import format_count, format_value
from metrics.spec import GeographySpec

GRAPH_CONFIG: Any = {"displayModeBar": False, "responsive": True}


def chart(figure: Any, graph_id: str | None = None) -> html.Div:
    """A chart hidden from screen readers: its caption and table say the same in words."""
    graph = dcc.Graph(figure=figure, config=GRAPH_CONFIG) if graph_id is None else \
        dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG)
    return html.Div(graph, className="chart", **aria(hidden="true"))


def breakdown_section(page: MetricPage, geographies: dict[str, GeographySpec], chosen: str | None) -> Any:
    """The chosen geography's breakdown (the first the metric declares by default), with links to the others."""
    if not page.breakdowns:
        return None
    shown = page.breakdown(chosen) if chosen else page.breakdowns[0]
    if shown is None:
        return None
    geography = geographies[shown.geography]
    m = page.metric
    fmt = lambda v: format_value(v, m.format, m.unit)  # noqa: E731
    judged = judged_areas(shown)
    every_held = bool(judged) and all(r.source.questionable for r in judged)  # then shown, for reference
    values = {r.place: r.value if every_held or not r.source.questionable else None for r in shown.rows}
    names = {r.place: area_name(geography, r.place) for r in shown.rows}
    reference, reference_label = area_reference(m, shown, page.sample, geography)
    noun = geography.label.lower()
    held = ("Every value here is held out by the quality gate (see Data quality above) and shown for reference "
            "only. ") if every_held else ""
    total = f" (city total {fmt(shown.city_value)})" if m.additive and shown.city_value is not None else ""
    extremes = ""
    if judged:
        best, worst = max(judged, key=lambda r: r.value or 0), min(judged, key=lambda r: r.value or 0)
        extremes = (f"highest in {_place(geography, names[best.place])} ({fmt(best.value)}), lowest in "
                    f"{_place(geography, names[worst.place])} ({fmt(worst.value)}); ")
    summary = (f"{held}{shown.period}: {len(shown.rows)} {noun} values; {extremes}{reference_label}{total}. "
               "Averages hide: see each area's own page.")
    keys = [r.place for r in shown.rows]
    bar_values = [values[k] for k in keys]
    many = len(keys) > MANY_AREAS
    bar_caption = (f"The {SHOWN_EACH_END} highest and {SHOWN_EACH_END} lowest {noun} values; the table lists "
                   f"all {len(keys)}." if many and sum(v is not None for v in bar_values) > 2 * SHOWN_EACH_END
                   else None)
    area_figure = area_map(shown.geography, geography, values, m.format, m.unit)
    return html.Section([
        html.H2(f"By {noun}, {shown.period}", className="h4 mt-4", id="by-area"),
        _choices(page, geographies, shown.geography),
        html.P(summary, className="chart-summary"),
        dbc.Row([
            dbc.Col(html.Figure([chart(area_figure, MAP_ID), dcc.Location(id=MAP_LOCATION_ID, refresh="callback-nav"),
                                 html.Figcaption(_map_caption(noun, geography, values), className="chart-summary")]),
                    lg=6)
            if area_figure else None,
            dbc.Col(html.Figure([chart(area_bar([names[k] for k in keys], bar_values, reference, reference_label,
                                                m.format, geography.label)),
                                 html.Figcaption(bar_caption, className="chart-summary") if bar_caption else None]),
                    lg=6 if area_figure else 12),
        ]),
        _table(page, shown, geography, names),
    ], className="breakdown", **aria(labelledby="by-area"))


def _place(geography: GeographySpec, name: str) -> str:
    return f"{geography.label.lower()} {name}" if name.isdigit() else name


def _choices(page: MetricPage, geographies: dict[str, GeographySpec], chosen: str) -> html.Nav | None:
    if len(page.breakdowns) < 2:
        return None
    grain = page.grain.value if page.grain else None
    path = f"/metrics/{page.metric.id}"
    links = [html.Li(html.A(geographies[b.geography].label,
                            href=href(path, {"grain": grain, "geography": b.geography}) + "#by-area",
                            className="nav-link" + (" active" if b.geography == chosen else ""),
                            **(aria(current="page") if b.geography == chosen else {})), className="nav-item")
             for b in page.breakdowns]
    return html.Nav(html.Ul(links, className="nav nav-pills mb-2"), **aria(label="Break down by"))


def _table(page: MetricPage, shown: Breakdown, geography: GeographySpec, names: dict[str, str]) -> html.Details:
    m = page.metric
    ratio = any(r.denominator is not None for r in shown.rows)
    caveats = [value_caveat(r.source) for r in shown.rows]
    head = [geography.label, "Value", *(["Numerator", "Denominator"] if ratio else []),
            *(["Data quality"] if any(caveats) else [])]
    body = []
    for r, caveat in zip(shown.rows, caveats, strict=True):
        cells: list[Any] = [format_value(r.value, m.format, m.unit)]
        cells += [_count(r.numerator), _count(r.denominator)] if ratio else []
        cells += [caveat or ""] if any(caveats) else []
        body.append(html.Tr([html.Th(dcc.Link(names[r.place], href=area_href(shown.geography, r.place)), scope="row"),
                             *(html.Td(c) for c in cells)]))
    caption = f"{geography.label} values, {shown.period}"
    return html.Details([
        html.Summary(f"{caption} (table of all {len(shown.rows)})"),
        scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                                  html.Tbody(body)], className="table table-sm values-table"), caption),
    ], className="values", open=len(shown.rows) <= MANY_AREAS)


def _count(value: float | None) -> str:
    return format_count(value) if value is not None else ""


def _map_caption(noun: str, geography: GeographySpec, values: dict[str, float | None]) -> str:
    missing = areas_without_value(geography, values)
    hatched = f" Hatched: no usable value ({missing} area{'s' if missing != 1 else ''})." if missing else ""
    return f"Map of {noun} values: darker is higher.{hatched} Select an area to open its page."
