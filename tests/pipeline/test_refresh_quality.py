"""The quality gate through a real refresh (SQLite and PostgreSQL): flags stored with each version, partial
periods, non-numbers, and honest citywide values for ``latest`` metrics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import pytest
from sqlalchemy import insert

from data.db import get_engine
from data.sources import source_table
from data.store import read_values
from metrics.registry import Registry
from metrics.spec import MetricSpec, SourceSpec
from metrics.status import assess
from metrics.values import QualityRule
from pipeline.refresh import refresh_all, refresh_metric
from tests.helpers import at, put_events, value_of

DECEMBER = dt.date(2025, 12, 1)


def test_a_partial_month_is_stored_partial_and_history_keeps_what_was_said(database: str,
                                                                            test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-11-10")},
                               {"event_id": "b", "happened_at": at("2025-12-03")}])
    refresh_metric(test_registry, "events_count")
    december = value_of("events_count", "month", DECEMBER)
    assert december.covered_through == dt.date(2025, 12, 3) and QualityRule.PARTIAL in {f.rule for f in december.flags}
    assert not value_of("events_count", "month", dt.date(2025, 11, 1)).partial
    said_then = dt.datetime.now(dt.UTC)
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-11-10")},
                               {"event_id": "b", "happened_at": at("2025-12-03")},
                               {"event_id": "c", "happened_at": at("2026-01-02")}])
    refresh_metric(test_registry, "events_count")
    assert not value_of("events_count", "month", DECEMBER).partial  # December is whole now, with the same count
    with get_engine().connect() as conn:
        then = read_values(conn, ["events_count"], as_of=said_then, grain="month")["events_count"]
    assert next(v for v in then if v.period_start == DECEMBER).covered_through == dt.date(2025, 12, 3)


def test_a_partial_year_is_judged_on_the_days_it_covers(database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": str(n), "happened_at": at("2025-07-10")} for n in range(20)]
               + [{"event_id": "last", "happened_at": at("2025-08-06")}])
    refresh_metric(test_registry, "events_count")
    with get_engine().connect() as conn:
        values = read_values(conn, ["events_count"], geography="city")["events_count"]
    result = assess(test_registry.metrics["events_count"], values, city=test_registry.city, today=dt.date(2025, 8, 7))
    share = (1 + 6 / 31) / 12  # July and six days of August
    assert result.data_through == dt.date(2025, 8, 6) and result.expected == pytest.approx(120 * share)
    assert "FY2026 through Aug 6, 2025" in result.sentence


def test_the_gate_is_stable_a_second_refresh_writes_nothing(database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": str(n), "happened_at": at(f"2025-{m:02d}-10"), "district": 1}
                               for n, m in enumerate(range(1, 13))])
    first = refresh_all(test_registry)
    assert sum(r.written for r in first) > 0 and refresh_all(test_registry)[0].written == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_number_in_the_source_is_held_out_and_not_rewritten(database: str, test_registry: Registry,
                                                                   bad: float) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "amount": 100.0},
                               {"event_id": "b", "happened_at": at("2025-08-02"), "amount": bad}])
    assert refresh_metric(test_registry, "patrol_spend").status == "success"
    august = value_of("patrol_spend", "month", dt.date(2025, 8, 1))
    assert august.value is None or math.isfinite(august.value)  # SQLite stores NaN as NULL; PostgreSQL keeps it
    if august.value is None:
        assert QualityRule.IMPOSSIBLE in {f.rule for f in august.flags} and august.questionable
    assert refresh_metric(test_registry, "patrol_spend").written == 0


READINGS = SourceSpec.model_validate({
    "id": "readings", "title": "Area readings", "table": "src_readings", "time_column": "read_at",
    "geographies": {"district": "district"},
    "columns": [{"name": "read_at", "type": "datetime", "required": True}, {"name": "district", "type": "integer"},
                {"name": "reading", "type": "float"}, {"name": "population", "type": "float"}]})


def latest(metric_id: str, fmt: str, citywide: dict[str, Any]) -> MetricSpec:
    return MetricSpec.model_validate({
        "id": metric_id, "title": metric_id, "definition": "The latest reading per area.", "measure_type": "outcome",
        "agency": "AG1", "format": fmt, "frequency": "monthly", "grains": ["month", "fiscal_year"],
        "geographies": ["district"],
        "computation": {"kind": "computed", "source": "readings", "aggregation": "latest",
                        "value_column": "reading", "citywide": citywide}})


def test_latest_readings_of_several_areas_make_an_honest_citywide_value(database: str,
                                                                        test_registry: Registry) -> None:
    table = source_table(READINGS)
    table.create(get_engine())
    rows = [(at("2025-08-01"), 1, 10.0, 100.0), (at("2025-08-20"), 1, 12.0, 100.0),
            (at("2025-08-03"), 2, 80.0, 300.0), (at("2025-08-25"), None, 95.0, None)]
    with get_engine().begin() as conn:
        conn.execute(insert(table), [{"source_line": n, "read_at": t, "district": d, "reading": r, "population": p}
                                     for n, (t, d, r, p) in enumerate(rows)])
    metrics = [latest("open_cases", "count", {"method": "sum"}),
               latest("share_served", "percent", {"method": "weighted", "weight_column": "population"}),
               latest("index", "rate", {"method": "rows", "filters": [{"column": "district", "op": "is_null"}]})]
    registry = dataclasses.replace(test_registry, sources={**test_registry.sources, "readings": READINGS},
                                   metrics={m.id: m for m in metrics})
    assert all(r.status == "success" for r in refresh_all(registry))
    august = dt.date(2025, 8, 1)
    assert value_of("open_cases", "month", august).value == 12 + 80  # each area's latest, added up
    assert value_of("share_served", "month", august).value == pytest.approx((12 * 100 + 80 * 300) / 400)
    assert value_of("index", "month", august).value == 95  # the city's own row, not the highest area's
    assert value_of("index", "month", august, "district", "1").value == 12
