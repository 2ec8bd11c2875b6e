"""A source in a warehouse: a DuckDB database reached through its SQLAlchemy dialect (``duckdb-engine``) runs the
same pushdown queries, batched and one by one, and gives the values the value store's own database gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import insert

from data.sources import source_engine, source_table
from metrics.registry import Registry
from metrics.values import ValueRow
from pipeline.batch import batches, compute_batch
from pipeline.compute import compute_values
from pipeline.refresh import refresh_all
from tests.helpers import put_events, value_of
from tests.pipeline.test_batch import _events, _same, _variants


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
        batched: dict[str, list[ValueRow]] = {}
        for batch in batches(metrics, {"events": warehouse}):
            batched |= compute_batch(batch, there, 7)
        for metric in metrics:
            expected = compute_values(metric, stored, here, 7)
            # SQLite's julianday() keeps days between to about 1e-11 of a day: compare as engines can
            assert _same(compute_values(metric, warehouse, there, 7), expected, rel_tol=1e-9), metric.id
            assert _same(batched[metric.id], expected, rel_tol=1e-9), metric.id

    registry = dataclasses.replace(test_registry, sources={**test_registry.sources, "events": warehouse})
    results = refresh_all(registry)
    assert [r.status for r in results] == ["success"] * len(results)
    assert value_of("events_count", "fiscal_year", events[0]["happened_at"].date().replace(month=7, day=1)) \
        is not None
