"""Batched computation: the computed metrics of one source that group by the same places share one grouped query,
so the source is scanned once per batch instead of once per metric; each metric's rows are then rolled up
exactly as if it had run its own query.

Two things keep a batch's query small. Metrics told apart by an equality filter on one column (a set of
indicators per request type) are split by grouping by that column instead of a condition each; and metrics whose
other filters and parts are alike share their aggregate columns. A 311 table's 5,000 indicators over 1,250
request types are one query with a handful of aggregates. What differs stays a condition inside the metric's own
aggregates (``sum(case when … then 1 else 0 end)``), at most ``MAX_COLUMNS`` of them per query (PostgreSQL takes
1,664 columns). A reported table's measures are one query too, told apart by their key. Metrics that keep
readings (``latest``) run their own query.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table

from data.sources import source_table
from metrics.aggregations import Part
from metrics.columns import filter_value
from metrics.spec import ColumnType, ComputationKind, Filter, FilterOp, MetricSpec, SourceSpec
from metrics.values import ValueRow
from pipeline.compute import fingerprint, values_from_rows
from pipeline.query import (
    MONTH,
    REPORTED_KEY,
    all_of,
    month_bucket,
    part_aggregate,
    query_geographies,
    reported_batch_query,
    value_expression,
)

MAX_COLUMNS = 600  # aggregate columns per query
MAX_KEYS = 2000  # reported measures per query
SPLIT = "split_value"
SPLITTABLE = (ColumnType.TEXT, ColumnType.INTEGER)  # exact equality: no float or time to compare


@dataclass(frozen=True)
class Batch:
    """Metrics computed by one query; ``split`` is the column whose value tells them apart, if any; ``reported``
    for reported figures, told apart by their key."""

    source: SourceSpec
    metrics: tuple[MetricSpec, ...]
    split: str | None = None
    reported: bool = False


def batchable(metric: MetricSpec) -> bool:
    return metric.computation.kind is ComputationKind.COMPUTED and metric.kind is not None \
        and not metric.kind.readings


def batches(metrics: Iterable[MetricSpec], sources: dict[str, SourceSpec]) -> Iterator[Batch]:
    """The batchable metrics grouped by source, the places their query groups by and the column that tells
    them apart (the one most of them keep a single value of), ``MAX_COLUMNS`` aggregates at most per batch."""
    groups: dict[tuple[str, tuple[str, ...]], list[MetricSpec]] = defaultdict(list)
    reported: dict[str, list[MetricSpec]] = defaultdict(list)
    for metric in metrics:
        if batchable(metric) and metric.computation.source in sources:
            groups[(metric.computation.source, tuple(query_geographies(metric)))].append(metric)
        elif metric.computation.kind is ComputationKind.REPORTED and metric.computation.source in sources \
                and sources[metric.computation.source].reported is not None:
            reported[metric.computation.source].append(metric)
    for source_id, members in reported.items():  # one query for a reported table's measures, split by key
        for start in range(0, len(members), MAX_KEYS):
            yield Batch(sources[source_id], tuple(members[start:start + MAX_KEYS]), reported=True)
    for (source_id, _), members in groups.items():
        source = sources[source_id]
        common = Counter(column for m in members for column in _split_columns(m, source))
        by_split: dict[str | None, list[MetricSpec]] = defaultdict(list)
        for metric in members:
            candidates = _split_columns(metric, source)
            by_split[max(candidates, key=lambda c: (common[c], c)) if candidates else None].append(metric)
        for split, chosen in by_split.items():
            chunk: list[MetricSpec] = []
            columns: set[str] = set()
            for metric in chosen:
                mine = {_aggregate_key(metric, part, split) for part in _parts(metric)}
                if chunk and len(columns | mine) > MAX_COLUMNS:
                    yield Batch(source, tuple(chunk), split)
                    chunk, columns = [], set()
                chunk.append(metric)
                columns |= mine
            if chunk:
                yield Batch(source, tuple(chunk), split)


def _split_columns(metric: MetricSpec, source: SourceSpec) -> list[str]:
    """Columns the metric keeps one value of (an equality filter on a value, of a text or integer column)."""
    return [f.column for f in metric.computation.filters
            if f.op is FilterOp.EQ and f.other_column is None and f.value is not None
            and not isinstance(f.value, list) and (spec := source.column(f.column)) is not None
            and spec.type in SPLITTABLE]


def _split_filter(metric: MetricSpec, split: str | None) -> Filter | None:
    return next((f for f in metric.computation.filters if split and f.column == split and f.op is FilterOp.EQ
                 and f.other_column is None), None)


def _rest(metric: MetricSpec, split: str | None) -> tuple[Filter, ...]:
    """The metric's filters but the one the split column stands for."""
    taken = _split_filter(metric, split)
    kept = list(metric.computation.filters)
    if taken is not None:
        kept.remove(taken)
    return tuple(kept)


def _parts(metric: MetricSpec) -> tuple[Part, ...]:
    assert metric.kind is not None
    return tuple(dict.fromkeys((Part.ROWS, *metric.kind.parts)))


def _aggregate_key(metric: MetricSpec, part: Part, split: str | None) -> str:
    """What an aggregate column computes: metrics with the same key share the column."""
    c = metric.computation
    counted = [f.model_dump_json() for f in _rest(metric, split)]
    numerator = [f.model_dump_json() for f in c.numerator_filters] if part is Part.NUMERATOR_ROWS else []
    value = (c.value_column, c.days_between) if part in (Part.VALUE_SUM, Part.VALUE_COUNT) else None
    return repr((part.value, sorted(counted), sorted(numerator), value))


def batch_query(batch: Batch, table: Table, dialect: str) -> tuple[Select[Any], dict[tuple[str, Part], str]]:
    """``SELECT month_start, <places>[, <split column>], <aggregates> … GROUP BY`` the same, and the column each
    metric's part is in (alike parts share one)."""
    source = batch.source
    time = table.c[source.time_column]
    month = month_bucket(dialect, time).label(MONTH)
    groups: list[ColumnElement[Any]] = [month, *(table.c[source.geographies[g]].label(g)
                                                  for g in query_geographies(batch.metrics[0]))]
    where: ColumnElement[bool] = time.is_not(None)
    if batch.split:
        groups.append(table.c[batch.split].label(SPLIT))
        column = source.column(batch.split)
        assert column is not None
        kept = {filter_value(column, f.value) for m in batch.metrics if (f := _split_filter(m, batch.split))}
        where = where & table.c[batch.split].in_(sorted(kept))
    shared: dict[str, str] = {}
    labels: dict[tuple[str, Part], str] = {}
    aggregates: list[ColumnElement[Any]] = []
    for metric in batch.metrics:
        keeps = all_of(source, table, _rest(metric, batch.split))
        value = value_expression(metric, table, dialect)
        for part in _parts(metric):
            key = _aggregate_key(metric, part, batch.split)
            if key not in shared:
                shared[key] = f"a{len(shared)}"
                aggregates.append(part_aggregate(part, source, table, metric, value, keeps).label(shared[key]))
            labels[(metric.id, part)] = shared[key]
    return select(*groups, *aggregates).where(where).group_by(*groups), labels


@dataclass(frozen=True)
class Fetched:
    """A batch's query rows for each metric (the ones its own query would return) and, where metrics take theirs
    from the same group rows (one request type's), a fingerprint of those rows and of the columns the metric reads:
    a digest of its inputs at the cost of one per group (``pipeline.compute.inputs_digest``)."""

    rows: dict[str, list[dict[str, Any]]]
    fingerprints: dict[str, str]


def batch_rows(batch: Batch, conn: Connection) -> Fetched:
    """Each metric's query rows, from one scan of the source."""
    if batch.reported:
        return Fetched(_reported_rows(batch, conn), {})
    query, labels = batch_query(batch, source_table(batch.source), conn.dialect.name)
    rows = conn.execute(query).mappings().all()
    places = [MONTH, *query_geographies(batch.metrics[0])]
    by_value: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        by_value[row[SPLIT] if batch.split else None].append(row)
    column = batch.source.column(batch.split) if batch.split else None
    shared: dict[Any, str] = {}
    out, fingerprints = {}, {}
    for metric in batch.metrics:
        taken = _split_filter(metric, batch.split)
        value = filter_value(column, taken.value) if column and taken else None
        mine = by_value[value]
        parts = {part: labels[(metric.id, part)] for part in _parts(metric)}
        out[metric.id] = [{**{place: row[place] for place in places},
                           **{part.value: row[label] for part, label in parts.items()}}
                          for row in mine if row[parts[Part.ROWS]]]
        if value not in shared:
            shared[value] = fingerprint([list(rows[0].keys()) if rows else [], *mine])
        fingerprints[metric.id] = f"{shared[value]}|{places}|{sorted(parts.items())}"
    return Fetched(out, fingerprints)


def _reported_rows(batch: Batch, conn: Connection) -> dict[str, list[dict[str, Any]]]:
    layout, source = batch.source.reported, batch.source
    assert layout is not None
    column = source.column(layout.key_column)

    def key(metric: MetricSpec) -> Any:
        return filter_value(column, metric.computation.key) if column else metric.computation.key

    query = reported_batch_query(sorted({key(m) for m in batch.metrics}), source, source_table(source))
    by_key: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(query).mappings():
        by_key[row[REPORTED_KEY]].append({name: value for name, value in row.items() if name != REPORTED_KEY})
    return {metric.id: by_key[key(metric)] for metric in batch.metrics}


def compute_batch(batch: Batch, conn: Connection, fy_start_month: int) -> dict[str, list[ValueRow]]:
    """Each metric's values, from one scan of the source."""
    found = batch_rows(batch, conn).rows
    return {metric.id: values_from_rows(metric, batch.source, found[metric.id], fy_start_month)
            for metric in batch.metrics}
