"""A source in a warehouse: a DuckDB database reached through its SQLAlchemy dialect (``duckdb-engine``) runs the
same pushdown queries, batched and one by one, and gives the values the value store's own database gives."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from sqlalchemy import insert

from data.sources import source_engine, source_table
from metrics.registry import Registry
from metrics.values import ValueRow
from pipeline.batch import compute_batch
from pipeline.compute import compute_values
from pipeline.refresh import refresh_all
from tests.helpers import put_events, value_of
from tests.pipeline.test_batch import _events, _variants


def _same(a: list[ValueRow], b: list[ValueRow]) -> bool:
    """Equal but for the last bits of a float (each engine does its own arithmetic on days between)."""
    def close(x: float | None, y: float | None) -> bool:
        return x == y or (x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9))

    return len(a) == len(b) and all(
        r.key == s.key and close(r.value, s.value) and close(r.numerator, s.numerator)
        and close(r.denominator, s.denominator) for r, s in zip(a, b, strict=True))


def test_a_duckdb_source_computes_what_the_store_computes(database: str, test_registry: Registry,
                                                          tmp_path: Path) -> None:
    events = _events(400)
    put_events(test_registry, events)
    stored = test_registry.sources["events"]
    warehouse = stored.model_copy(update={"connection": f"duckdb:///{tmp_path / 'warehouse.duckdb'}"})
    engine, table = source_engine(warehouse), source_table(warehouse)
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"source_line": n, **row} for n, row in enumerate(events, start=2)])
    assert engine.dialect.name == "duckdb"

    metrics = _variants(test_registry.metrics["events_count"])
    with source_engine(stored).connect() as here, engine.connect() as there:
        batched = compute_batch(metrics, warehouse, there, 7)
        for metric in metrics:
            expected = compute_values(metric, stored, here, 7)
            assert _same(compute_values(metric, warehouse, there, 7), expected), metric.id
            assert _same(batched[metric.id], expected), metric.id

    registry = dataclasses.replace(test_registry, sources={**test_registry.sources, "events": warehouse})
    results = refresh_all(registry)
    assert [r.status for r in results] == ["success"] * len(results)
    assert value_of("events_count", "fiscal_year", events[0]["happened_at"].date().replace(month=7, day=1)) \
        is not None
