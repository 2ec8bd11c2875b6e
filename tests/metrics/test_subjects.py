"""Session subjects: parsing, which measures a subject reviews, the cutoff, and a district's own series."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from metrics.publishable import load_registry
from metrics.registry import Registry
from metrics.subjects import Subject, SubjectError, SubjectKind, as_subject, cut_off, subject_choices, subject_metrics
from metrics.values import ValueRow
from tests.conftest import FIXTURES


def test_subjects_parse_and_name_themselves(baltimore_registry: Registry) -> None:
    assert Subject.parse("agency:AGC5900", baltimore_registry).label(baltimore_registry) == "Police"
    assert Subject.parse("district:7", baltimore_registry).label(baltimore_registry) == "Council district 7"
    for bad in ("agency:NOPE", "district:99", "city:1", "agency:", "AGC5900"):
        with pytest.raises(SubjectError):
            Subject.parse(bad, baltimore_registry)
    keys = [key for key, _ in subject_choices(baltimore_registry)]
    assert "agency:AGC5900" in keys and "pillar:1" in keys and "district:14" in keys and "district:15" not in keys
    assert "agency:AGC9900" not in keys  # CAFR Adjustments has no measures: nothing to review


def test_named_districts_are_listed_by_name_after_numbered_ones(tmp_path: Path) -> None:
    city = shutil.copytree(FIXTURES / "riverton", tmp_path / "riverton")
    wards = city / "data" / "wards.geojson"
    shapes = json.loads(wards.read_text())
    for feature, key in zip(shapes["features"], ["riverside", "10", "2"], strict=True):
        feature["properties"]["ward"] = key
    wards.write_text(json.dumps(shapes))
    choices = [key for key, _ in subject_choices(load_registry(city)) if key.startswith("district:")]
    assert choices == ["district:2", "district:10", "district:riverside"]


def test_agency_and_district_subjects_pick_their_measures(baltimore_registry: Registry) -> None:
    metrics = list(baltimore_registry.metrics.values())
    police = subject_metrics(baltimore_registry, Subject(SubjectKind.AGENCY, "AGC5900"), metrics)
    assert police and all(m.agency == "AGC5900" for m in police)
    district = subject_metrics(baltimore_registry, Subject(SubjectKind.DISTRICT, "7"), metrics)
    assert district and all("council_district" in m.geographies for m in district)


def test_cutoff_keeps_only_periods_ended_by_then() -> None:
    rows = [ValueRow("month", dt.date(2025, 9, 1), "city", "", 1.0),
            ValueRow("month", dt.date(2025, 10, 1), "city", "", 2.0),
            ValueRow("fiscal_quarter", dt.date(2025, 7, 1), "city", "", 3.0)]
    assert [r.value for r in cut_off(rows, dt.date(2025, 9, 30))] == [1.0, 3.0]
    assert [r.value for r in cut_off(rows, dt.date(2025, 9, 29))] == []


def test_a_district_is_judged_on_its_own_series_and_counts_lose_the_city_target(test_registry: Registry) -> None:
    count = test_registry.metrics["events_count"]  # a count: the city target is not a district's
    rows = [ValueRow("month", dt.date(2025, 8, 1), "city", "", 40.0),
            ValueRow("month", dt.date(2025, 8, 1), "council_district", "1", 7.0),
            ValueRow("month", dt.date(2025, 8, 1), "council_district", "2", 9.0)]
    metric, series = as_subject(Subject(SubjectKind.DISTRICT, "1"), count, rows, districts="council_district")
    assert [(r.geography, r.value) for r in series] == [("city", 7.0)]
    assert count.targets and metric.targets == ()
    same, city_only = as_subject(Subject(SubjectKind.AGENCY, "AG1"), count, rows, districts="council_district")
    assert same is count and [r.value for r in city_only] == [40.0]


def test_a_district_never_meets_a_citywide_stock_or_count_target_but_keeps_a_rate_target(
        baltimore_registry: Registry) -> None:
    stock = baltimore_registry.metrics["vacant_notices_open"]  # open notices: the districts add up to the city
    rate = baltimore_registry.metrics["illegal_dumping_reported_online"]
    rows = [ValueRow("month", dt.date(2019, 1, 1), "council_district", "7", 184.0)]
    district = Subject(SubjectKind.DISTRICT, "7")
    assert stock.targets and as_subject(district, stock, rows, districts="council_district")[0].targets == ()
    assert as_subject(district, rate, rows, districts="council_district")[0].targets == rate.targets
