"""Computing from real source tables on both backends: reported figures by area with an explicit citywide row,
and filter values typed by their column."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.sources import load_source, source_engine
from metrics.spec import MetricSpec, SourceSpec
from pipeline.compute import compute_values

REPORTED = SourceSpec.model_validate({
    "id": "reported", "title": "Reported figures", "table": "src_reported", "time_column": "period_start",
    "geographies": {"council_district": "district"},
    "columns": [{"name": "measure", "required": True}, {"name": "grain", "required": True},
                {"name": "period_start", "type": "date", "required": True},
                {"name": "district", "type": "integer"}, {"name": "value", "type": "float", "required": True}],
    "reported": {"key_column": "measure", "grain_column": "grain", "value_column": "value"},
})


def _metric(**changes: object) -> MetricSpec:
    return MetricSpec.model_validate({
        "id": "cleanups", "title": "Cleanups", "definition": "Lots cleaned in the period.", "measure_type": "output",
        "agency": "A1", "format": "count", "frequency": "quarterly", "grains": ["fiscal_quarter"],
        "computation": {"kind": "reported", "source": "reported", "key": "cleanups"}} | changes)


def _load(tmp_path: Path, source: SourceSpec, text: str) -> SourceSpec:
    path = tmp_path / f"{source.id}.csv"
    path.write_text(text)
    source = SourceSpec.model_validate(source.model_dump() | {"load": {"file": str(path)}})
    load_source(source, fy_start_month=7, timezone="UTC")
    return source


def _values(metric: MetricSpec, source: SourceSpec) -> list[tuple[str, str, str, float | None]]:
    with source_engine(source).connect() as conn:
        rows = compute_values(metric, source, conn, 7)
    return sorted((r.period_start.isoformat(), r.geography, r.geo_key, r.value) for r in rows)


FIGURES = ("measure,grain,period_start,district,value\n"
           "cleanups,fiscal_quarter,2025-07-01,1,10\n"
           "cleanups,fiscal_quarter,2025-07-01,,35\n"  # the city's own row: never the sum of the areas
           "cleanups,fiscal_quarter,2025-07-01,2,20\n")


def test_reported_figures_by_area_keep_the_citys_own_row(database: str, tmp_path: Path) -> None:
    source = _load(tmp_path, REPORTED, FIGURES)
    assert _values(_metric(geographies=["council_district"]), source) == [
        ("2025-07-01", "city", "", 35.0), ("2025-07-01", "council_district", "1", 10.0),
        ("2025-07-01", "council_district", "2", 20.0)]
    assert _values(_metric(), source) == [("2025-07-01", "city", "", 35.0)]  # areas it does not declare are left out


def test_two_reported_rows_for_one_period_and_place_are_an_error_naming_both_lines(database: str,
                                                                                  tmp_path: Path) -> None:
    source = _load(tmp_path, REPORTED, FIGURES + "cleanups,fiscal_quarter,2025-07-01,,36\n")
    with pytest.raises(ValueError, match=r"two rows for cleanups fiscal_quarter 2025-07-01 in the city "
                                         r"\(lines 3 and 5\)"):
        _values(_metric(), source)


EVENTS = SourceSpec.model_validate({
    "id": "events", "title": "Events", "table": "src_events", "time_column": "happened_on",
    "columns": [{"name": "happened_on", "type": "date", "required": True}, {"name": "district", "type": "integer"},
                {"name": "kind"}],
})


def test_filter_values_are_typed_by_their_column_on_every_backend(database: str, tmp_path: Path) -> None:
    source = _load(tmp_path, EVENTS, "happened_on,district,kind\n2014-01-01,7,3\n2013-12-31,7,3\n2014-02-01,8,x\n")
    metric = _metric(frequency="monthly", grains=["month"], computation={
        "kind": "computed", "source": "events", "aggregation": "count",
        "filters": [{"column": "happened_on", "op": "ge", "value": "2014-01-01"},
                    {"column": "district", "op": "in", "value": ["7", 8.0]},
                    {"column": "kind", "op": "ne", "value": 4}]})
    assert [(start, value) for start, _, _, value in _values(metric, source)] == [("2014-01-01", 1.0),
                                                                                  ("2014-02-01", 1.0)]
