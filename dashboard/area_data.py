"""What the area pages show, read through the gate for the viewer: each geography's areas and how many measures
have values there, and one area's latest value of every measure against the city or the average area."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.geo import area_name, boundaries, key_order
from dashboard.metric_data import Breakdown, TableRow, area_reference, breakdown
from data.access import Gate
from data.errors import NotFound
from data.policy import Viewer
from metrics.spec import GeographySpec, MetricSpec
from metrics.values import CITY


@dataclass(frozen=True)
class Area:
    key: str  # as the data spells it (or the boundary file, for an area without values)
    name: str
    measures: int  # how many measures the viewer may see have a value here in their latest period


@dataclass(frozen=True)
class AreaMeasure:
    metric: MetricSpec
    breakdown: Breakdown
    row: TableRow
    reference: float | None
    reference_label: str
    judged: bool  # False when the quality gate holds the value out: it is shown, never compared


def geography(reads: Gate, geography_id: str) -> GeographySpec:
    """The geography declared in city.yaml (``NotFound`` for any other)."""
    found = reads.registry.city.geographies.get(geography_id)
    if found is None or geography_id == CITY:
        raise NotFound(f"no geography '{geography_id[:40]}'")
    return found


def breakdowns(reads: Gate, viewer: Viewer, geography_id: str) -> list[tuple[MetricSpec, Breakdown]]:
    """The latest breakdown by ``geography_id`` of every measure the viewer may see, by title."""
    found = []
    for metric in sorted(reads.metrics(viewer), key=lambda m: m.title.casefold()):
        if geography_id in metric.geographies:
            shown = breakdown(reads, viewer, metric, geography_id)
            if shown is not None:
                found.append((metric, shown))
    return found


def areas(reads: Gate, viewer: Viewer, geography_id: str) -> list[Area]:
    """Every area of the geography (from the data and the boundary file), in name order."""
    spec = geography(reads, geography_id)
    counts: dict[str, int] = {}
    keys: dict[str, str] = {}
    for _, shown in breakdowns(reads, viewer, geography_id):
        for row in shown.rows:
            keys.setdefault(row.place.upper(), row.place)
            counts[row.place.upper()] = counts.get(row.place.upper(), 0) + (row.value is not None)
    outlines = boundaries(spec)
    for upper, name in (outlines.names.items() if outlines else ()):
        keys.setdefault(upper, name)
    found = [Area(key, area_name(spec, key), counts.get(upper, 0)) for upper, key in keys.items()]
    return sorted(found, key=lambda a: key_order(a.name))


def find_area(reads: Gate, viewer: Viewer, geography_id: str, key: str) -> Area:
    """The area whose key matches ``key`` case-insensitively (``NotFound`` for none)."""
    wanted = key.strip().upper()
    match = next((a for a in areas(reads, viewer, geography_id) if a.key.upper() == wanted), None)
    if match is None or not wanted:
        raise NotFound(f"no area '{key[:40]}'")
    return match


def area_measures(reads: Gate, viewer: Viewer, geography_id: str, key: str) -> list[AreaMeasure]:
    """Every measure with a value for this area in its latest breakdown, with what the value is compared with."""
    found = []
    for metric, shown in breakdowns(reads, viewer, geography_id):
        row = shown.row(key)
        if row is None or row.value is None:
            continue
        source = reads.registry.sources.get(metric.computation.source)
        sample = source.coverage.sample if source else None
        reference, label = area_reference(metric, shown, sample, reads.registry.city.geographies[geography_id])
        found.append(AreaMeasure(metric, shown, row, reference, label, not row.source.questionable or bool(sample)))
    return found
