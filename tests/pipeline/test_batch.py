"""Batched refresh: one grouped query per source and batch gives exactly the values each metric's own query gives
(on SQLite and PostgreSQL, on generated events and on Baltimore's sources), and a batch whose query fails falls
back to each metric's own query, so only the broken metric fails."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from typing import Any

import pytest
from sqlalchemy import text

from data.db import get_engine
from data.sources import load_source, source_engine, source_table
from metrics.aggregations import Aggregation
from metrics.registry import Registry
from metrics.spec import ColumnType, ComputationKind, Filter, FilterOp, MetricSpec
from metrics.values import ValueRow
from pipeline.batch import MAX_COLUMNS, batch_query, batchable, batches, compute_batch
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
    on_time = Filter(column="closed_at", op=FilterOp.LE, other_column="due_at")

    def district(n: int) -> Filter:
        return Filter(column="district", value=n)

    return [
        base,
        variant("district_one", Aggregation.COUNT, filters=(district(1),)),
        variant("district_two_closed", Aggregation.COUNT, filters=(closed, district(2))),
        variant("on_time_in_one", Aggregation.RATIO, filters=(district(1), closed), numerator_filters=(on_time,)),
        variant("days_open_in_two", Aggregation.MEAN, days_between=("happened_at", "closed_at"),
                filters=(district(2), closed)),
        variant("nobody", Aggregation.COUNT, filters=(district(99),)),
        variant("spend", Aggregation.SUM, value_column="amount"),
        variant("mean_spend", Aggregation.MEAN, value_column="amount", filters=(closed,)),
        variant("days_open", Aggregation.MEAN, days_between=("happened_at", "closed_at"), filters=(closed,)),
        variant("on_time", Aggregation.RATIO, filters=(closed,), numerator_filters=(on_time,)),
        variant("open_stock", Aggregation.CUMULATIVE_COUNT, filters=(Filter(column="closed_at",
                                                                            op=FilterOp.IS_NULL),)),
    ]


def _same(a: list[ValueRow], b: list[ValueRow], rel_tol: float = 1e-12) -> bool:
    """Equal as the store compares numbers: floats to 12 significant digits (a database may add a group's values
    in another order from one query to the next)."""
    def close(x: float | None, y: float | None) -> bool:
        return x == y or (x is not None and y is not None and math.isclose(x, y, rel_tol=rel_tol))

    return len(a) == len(b) and all(
        r.key == s.key and close(r.value, s.value) and close(r.numerator, s.numerator)
        and close(r.denominator, s.denominator) and r.flags == s.flags and r.covered_through == s.covered_through
        for r, s in zip(a, b, strict=True))


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
    found = list(batches(metrics, test_registry.sources))
    assert sorted(m.id for b in found for m in b.metrics) == sorted(m.id for m in metrics)
    assert [b.split for b in found].count("district") == 1  # the district's metrics are split by it, not filtered
    source = test_registry.sources["events"]
    together: dict[str, list[Any]] = {}
    with source_engine(source).connect() as conn:
        for batch in found:
            together |= compute_batch(batch, conn, 7)
        for metric in metrics:
            assert _same(together[metric.id], compute_values(metric, source, conn, 7)), metric.id
    assert together["nobody"] == [] and together["district_one"] and together["open_stock"]


def test_alike_metrics_share_columns_and_a_batch_stays_within_the_column_limit(test_registry: Registry) -> None:
    base, events = test_registry.metrics["events_count"], test_registry.sources["events"]
    copies = [base.model_copy(update={"id": f"copy{n}"}) for n in range(50)]
    [batch] = list(batches(copies, test_registry.sources))
    assert len(set(batch_query(batch, source_table(events), "sqlite")[1].values())) == 1  # fifty metrics, a column
    over = base.computation.model_copy(update={"filters": ()})
    distinct = [base.model_copy(update={"id": f"over{n}", "computation": over.model_copy(update={
        "filters": (Filter(column="amount", op=FilterOp.GT, value=n),)})}) for n in range(MAX_COLUMNS + 100)]
    assert sorted(len(b.metrics) for b in batches(distinct, test_registry.sources)) == [100, MAX_COLUMNS]
    patrol = test_registry.metrics["patrol_spend"]  # grouped citywide only: a batch of its own
    assert [b.metrics for b in batches([base, patrol], test_registry.sources)] == [(base,), (patrol,)]


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
    compared, found = 0, list(batches(baltimore_registry.metrics.values(), baltimore_registry.sources))
    for batch in found:
        with source_engine(batch.source).connect() as conn:
            together = compute_batch(batch, conn, 7)
            for metric in batch.metrics:
                assert _same(together[metric.id], compute_values(metric, batch.source, conn, 7)), metric.id
                compared += 1
    reported = [m for m in baltimore_registry.metrics.values() if m.computation.kind is ComputationKind.REPORTED]
    assert compared == sum(batchable(m) for m in baltimore_registry.metrics.values()) + len(reported) > 600
    assert max(len(batch.metrics) for batch in found if not batch.reported) > 1
    assert sum(len(batch.metrics) for batch in found if batch.reported) == len(reported)  # one query a table


def test_a_metric_whose_values_the_store_refuses_fails_alone_and_its_batch_mates_are_written(
        database: str, test_registry: Registry) -> None:
    """A batch's metrics are written many to a transaction; a value the store refuses (here an area name longer
    than its column) fails its own metric, and the metrics written beside it keep theirs."""
    if not database.startswith("postgresql"):
        pytest.skip("SQLite stores text of any length")
    events = test_registry.sources["events"]
    named = events.model_copy(update={"columns": tuple(
        c.model_copy(update={"type": ColumnType.TEXT}) if c.name == "district" else c for c in events.columns)})
    registry = dataclasses.replace(test_registry, sources={**test_registry.sources, "events": named})
    base = registry.metrics["events_count"]
    costly = base.model_copy(update={"id": "costly", "computation": base.computation.model_copy(
        update={"filters": (Filter(column="amount", op=FilterOp.GT, value=100),)})})
    registry.metrics.update({"costly": costly})
    source_table(named).create(get_engine())
    with get_engine().begin() as conn:
        conn.execute(source_table(named).insert(), [
            {"source_line": n, "event_id": str(n), "happened_at": dt.datetime(2025, 8, 1 + n % 20, 9, tzinfo=dt.UTC),
             "district": "North" if n % 2 else "A district whose name runs on " + "and on " * 12,
             "amount": 500.0 if n % 2 else 10.0}
            for n in range(2, 40)])
    [batch] = list(batches([base, costly], registry.sources))
    assert len(batch.metrics) == 2  # computed together, written in one transaction
    try:
        results = {r.metric_id: r for r in refresh_all(registry, ["events_count", "costly"])}
    finally:
        del registry.metrics["costly"]
    assert results["events_count"].status == "failed" and "too long" in (results["events_count"].error or "")
    assert results["costly"].status == "success" and results["costly"].written > 0
    assert value_of("costly", "month", dt.date(2025, 8, 1), "district", "North") is not None
    assert value_of("events_count", "month", dt.date(2025, 8, 1)) is None
