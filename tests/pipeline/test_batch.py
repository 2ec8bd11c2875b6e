"""Batched refresh: one grouped query per source and batch gives exactly the values each metric's own query gives
(on SQLite and PostgreSQL, on generated events and on Baltimore's sources), and a batch whose query fails falls
back to each metric's own query, so only the broken metric fails."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import text

from data.db import get_engine
from data.sources import load_source, source_engine
from metrics.aggregations import Aggregation
from metrics.registry import Registry
from metrics.spec import Filter, FilterOp, MetricSpec
from pipeline.batch import BATCH_SIZE, batch_query, batchable, batches, compute_batch
from pipeline.compute import compute_values
from pipeline.refresh import refresh_all
from tests.helpers import put_events, value_of


def _variants(base: MetricSpec) -> list[MetricSpec]:
    """Metrics of every batchable aggregation over the events, with filters that keep different groups."""
    def variant(name: str, aggregation: Aggregation, **computation: Any) -> MetricSpec:
        changed = base.computation.model_copy(update={"aggregation": aggregation, "filters": (),
                                                      "numerator_filters": (), **computation})
        return base.model_copy(update={"id": name, "computation": changed})

    closed = Filter(column="closed_at", op=FilterOp.NOT_NULL)
    return [
        base,
        variant("district_one", Aggregation.COUNT, filters=(Filter(column="district", value=1),)),
        variant("nobody", Aggregation.COUNT, filters=(Filter(column="district", value=99),)),
        variant("spend", Aggregation.SUM, value_column="amount"),
        variant("mean_spend", Aggregation.MEAN, value_column="amount", filters=(closed,)),
        variant("days_open", Aggregation.MEAN, days_between=("happened_at", "closed_at"), filters=(closed,)),
        variant("on_time", Aggregation.RATIO, filters=(closed,),
                numerator_filters=(Filter(column="closed_at", op=FilterOp.LE, other_column="due_at"),)),
        variant("open_stock", Aggregation.CUMULATIVE_COUNT, filters=(Filter(column="closed_at",
                                                                            op=FilterOp.IS_NULL),)),
    ]


def _events(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = []
    for n in range(count):
        happened = dt.datetime(2024, 7, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=rng.randrange(0, 24 * 600))
        closed = happened + dt.timedelta(hours=rng.randrange(1, 24 * 40)) if rng.random() < 0.7 else None
        rows.append({"event_id": str(n), "happened_at": happened, "closed_at": closed,
                     "due_at": happened + dt.timedelta(days=14), "district": rng.choice([1, 2, 3, 4, None]),
                     "amount": round(rng.uniform(0, 500), 2) if rng.random() < 0.8 else None})
    return rows


def test_a_batch_gives_each_metric_exactly_its_own_values(database: str, test_registry: Registry) -> None:
    put_events(test_registry, _events(600))
    metrics = _variants(test_registry.metrics["events_count"])
    [batch] = list(batches(metrics))
    assert len(batch) == len(metrics)
    source = test_registry.sources["events"]
    with source_engine(source).connect() as conn:
        together = compute_batch(batch, source, conn, 7)
        for metric in metrics:
            assert together[metric.id] == compute_values(metric, source, conn, 7), metric.id
    assert together["nobody"] == [] and together["district_one"] and together["open_stock"]


def test_batches_follow_source_and_places_and_stay_within_column_limits(test_registry: Registry) -> None:
    base = test_registry.metrics["events_count"]
    many = [base.model_copy(update={"id": f"m{n}"}) for n in range(BATCH_SIZE + 5)]
    citywide_only = base.model_copy(update={"id": "citywide", "geographies": ()})
    found = list(batches([*many, citywide_only, test_registry.metrics["patrol_spend"]]))
    assert sorted(len(b) for b in found) == [2, 5, BATCH_SIZE]  # patrol_spend groups citywide too
    columns = len(batch_query(many[:BATCH_SIZE], test_registry.sources["events"],
                              *_table(test_registry)).selected_columns)
    assert columns <= 1000


def _table(registry: Registry) -> tuple[Any, str]:
    from data.sources import source_table

    return source_table(registry.sources["events"]), get_engine().dialect.name


def test_a_broken_metric_fails_alone_when_its_batch_query_fails(database: str, test_registry: Registry) -> None:
    put_events(test_registry, _events(50))
    with get_engine().begin() as conn:
        conn.execute(text("ALTER TABLE src_events DROP COLUMN closed_at"))  # closed_on_time's filter needs it
    results = {r.metric_id: r for r in refresh_all(test_registry, ["events_count", "closed_on_time"])}
    assert results["events_count"].status == "success" and results["events_count"].rows > 0
    assert results["closed_on_time"].status == "failed" and "closed_at" in (results["closed_on_time"].error or "")
    assert value_of("events_count", "fiscal_year", dt.date(2024, 7, 1)) is not None


@pytest.mark.slow
def test_baltimore_batches_equal_their_metrics_own_queries(database: str, baltimore_registry: Registry) -> None:
    for source in baltimore_registry.sources.values():
        load_source(source, fy_start_month=7, timezone=baltimore_registry.city.timezone,
                    geographies=baltimore_registry.city.geographies, progress=lambda _: None)
    compared, found = 0, list(batches(baltimore_registry.metrics.values()))
    for batch in found:
        source = baltimore_registry.sources[batch[0].computation.source]
        with source_engine(source).connect() as conn:
            together = compute_batch(batch, source, conn, 7)
            for metric in batch:
                assert together[metric.id] == compute_values(metric, source, conn, 7), metric.id
                compared += 1
    assert compared == sum(batchable(m) for m in baltimore_registry.metrics.values()) >= 5
    assert max(len(batch) for batch in found) > 1
