"""Area maps drawn from a geography's GeoJSON on plain axes (no base map, nothing fetched from the internet);
clicking an area opens its page."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
from dash import Dash, Input, Output, State

from dashboard.figures import INK, MAP_SCALE, blend
from dashboard.geo import area_href, area_name, boundaries, centroid, figure_rings
from metrics.formatting import format_value
from metrics.spec import FormatType, GeographySpec

MAP_ID, MAP_LOCATION_ID = "area-map", "area-map-location"
NO_VALUE = {"shape": "/", "fgcolor": "#6b7686", "bgcolor": "#ffffff", "size": 7, "solidity": 0.15}  # hatched: no value
LABELLED_AT_MOST = 20  # more areas than this and names would cover the map: hover and the list name them

# A click on an area follows its address (the trace's ``meta``); keyboard and screen-reader users have the list.
FOLLOW_CLICK = """function(click, figure) {
    if (!click || !click.points || !click.points.length || !figure) { return window.dash_clientside.no_update; }
    var trace = figure.data[click.points[0].curveNumber];
    return trace && trace.meta ? trace.meta : window.dash_clientside.no_update;
}"""


def area_map(geography_id: str, geography: GeographySpec, values: Mapping[str, float | None],
             fmt: FormatType | None, unit: str | None = None, height: int = 420) -> go.Figure | None:
    """Every area of the boundary file, filled by its value (light to dark), grey where it has none; centre and
    aspect come from the file's bounds. ``values`` are keyed as the data keys them (matched case-insensitively)."""
    outlines = boundaries(geography)
    if outlines is None or not outlines.shapes:
        return None
    by_upper = {key.upper(): (key, value) for key, value in values.items()}
    known = [v for v in values.values() if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    labelled = len(outlines.shapes) <= LABELLED_AT_MOST
    fig = go.Figure()
    for upper, rings in sorted(outlines.shapes.items()):
        key, value = by_upper.get(upper, (outlines.names[upper], None))
        xs, ys = figure_rings(rings)
        share = None if value is None else 0.5 if high == low else (value - low) / (high - low)
        shown = format_value(value, fmt, unit) if value is not None else "no value"
        name = area_name(geography, key)
        label = f"{geography.label} {name}: {shown}" if name.isdigit() else f"{name}: {shown}"
        fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", line={"color": INK, "width": 0.6},
                                 fillcolor="#ffffff" if share is None else blend(share),
                                 fillpattern=NO_VALUE if share is None else None, name=label, text=label,
                                 hoverinfo="text", hoveron="fills", showlegend=False,
                                 meta=area_href(geography_id, key)))
        if labelled:
            x, y = centroid(rings)
            fig.add_annotation(x=x, y=y, text=name, showarrow=False,
                               font={"size": 11, "color": INK if share is None or share < 0.55 else "#fff"})
    if known and high > low:  # one value everywhere: a scale would have nothing to tell apart
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker={"colorscale": MAP_SCALE, "cmin": low, "cmax": high, "color": [low],
                                         "showscale": True, "colorbar": _colorbar(fmt, high - low)}))
    west, south, east, north = outlines.bounds
    pad_x, pad_y = (east - west) * 0.02, (north - south) * 0.02
    fig.update_xaxes(visible=False, range=[west - pad_x, east + pad_x], fixedrange=True)
    fig.update_yaxes(visible=False, range=[south - pad_y, north + pad_y], scaleanchor="x",
                     scaleratio=outlines.aspect, fixedrange=True)
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, plot_bgcolor="#fff",
                      hoverlabel={"bgcolor": "#fff", "font": {"color": INK}})
    return fig


def areas_without_value(geography: GeographySpec, values: Mapping[str, float | None]) -> int:
    """How many areas of the boundary file have no value (the map hatches them)."""
    outlines = boundaries(geography)
    known = {key.upper() for key, value in values.items() if value is not None}
    return 0 if outlines is None else sum(upper not in known for upper in outlines.shapes)


def _colorbar(fmt: FormatType | None, span: float) -> dict[str, object]:
    if fmt is FormatType.PERCENT:
        return {"thickness": 12, "tickformat": ".0%"}
    whole = fmt is FormatType.COUNT and span <= 8  # small counts: one tick per whole number, none repeated
    return {"thickness": 12, "tickformat": ",.0f", **({"dtick": 1} if whole else {})}


def install(app: Dash) -> None:
    """The map's click, in the browser only (no request reaches the server until the page changes)."""
    app.clientside_callback(FOLLOW_CLICK, Output(MAP_LOCATION_ID, "href"), Input(MAP_ID, "clickData"),
                            State(MAP_ID, "figure"), prevent_initial_call=True)
