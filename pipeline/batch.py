"""Batched computation: the computed metrics of one source that group by the same places share one grouped query,
each metric's filters a condition inside its own aggregates, so the source is scanned once per batch instead of
once per metric. Each metric's month rows are then rolled up exactly as if it had run its own query.

A batch holds at most ``BATCH_SIZE`` metrics, which keeps the select list within every database's column
limit (PostgreSQL's is 1,664). Metrics that keep readings (``latest``) and reported figures run their own query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table

from data.sources import source_table
from metrics.aggregations import Part
from metrics.spec import ComputationKind, MetricSpec, SourceSpec
from metrics.values import ValueRow
from pipeline.compute import roll_up
from pipeline.query import MONTH, all_of, month_bucket, part_aggregate, query_geographies, value_expression

BATCH_SIZE = 200  # metrics per query: up to 5 columns each


def batchable(metric: MetricSpec) -> bool:
    return metric.computation.kind is ComputationKind.COMPUTED and metric.kind is not None \
        and not metric.kind.readings


def batches(metrics: Iterable[MetricSpec]) -> Iterator[list[MetricSpec]]:
    """The batchable metrics grouped by source and the places their query groups by, ``BATCH_SIZE`` at most."""
    groups: dict[tuple[str, tuple[str, ...]], list[MetricSpec]] = defaultdict(list)
    for metric in metrics:
        if batchable(metric):
            groups[(metric.computation.source, tuple(query_geographies(metric)))].append(metric)
    for members in groups.values():
        for start in range(0, len(members), BATCH_SIZE):
            yield members[start:start + BATCH_SIZE]


def _column(index: int, part: Part) -> str:
    return f"m{index}_{part.value}"


def batch_query(metrics: list[MetricSpec], source: SourceSpec, table: Table, dialect: str) -> Select[Any]:
    """``SELECT month_start, <places>, <each metric's rows and parts, over the rows its filters keep> … GROUP BY
    month_start, <places>``. Every metric gets a ``rows`` column, so a group none of its rows fall in is told
    apart from a group whose parts are zero."""
    time = table.c[source.time_column]
    month = month_bucket(dialect, time).label(MONTH)
    places = [table.c[source.geographies[g]].label(g) for g in query_geographies(metrics[0])]
    columns: list[ColumnElement[Any]] = []
    for index, metric in enumerate(metrics):
        kind = metric.kind
        assert kind is not None
        keeps = all_of(source, table, metric.computation.filters)
        value = value_expression(metric, table, dialect)
        columns += [part_aggregate(part, source, table, metric, value, keeps).label(_column(index, part))
                    for part in dict.fromkeys((Part.ROWS, *kind.parts))]
    return select(month, *places, *columns).where(time.is_not(None)).group_by(month, *places)


def batch_rows(metrics: list[MetricSpec], source: SourceSpec, conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Each metric's query rows (the ones its own query would return), from one scan of the source."""
    rows = conn.execute(batch_query(metrics, source, source_table(source), conn.dialect.name)).mappings().all()
    places = [MONTH, *query_geographies(metrics[0])]
    out = {}
    for index, metric in enumerate(metrics):
        kind = metric.kind
        assert kind is not None
        out[metric.id] = [_own_row(row, places, index, kind.parts) for row in rows if row[_column(index, Part.ROWS)]]
    return out


def compute_batch(metrics: list[MetricSpec], source: SourceSpec, conn: Connection,
                  fy_start_month: int) -> dict[str, list[ValueRow]]:
    """Each metric's values, from one scan of the source."""
    found = batch_rows(metrics, source, conn)
    return {metric.id: roll_up(metric, found[metric.id], fy_start_month) for metric in metrics}


def _own_row(row: Any, places: list[str], index: int, parts: tuple[Part, ...]) -> dict[str, Any]:
    """The row the metric's own query would have returned for this group."""
    own: dict[str, Any] = {place: row[place] for place in places}
    for part in parts:
        own[part.value] = row[_column(index, part)]
    return own
