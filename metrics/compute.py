"""Turns a metric's query result (month × geography rows) into values at each grain and geography."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from data.models import CITY
from data.sources import source_table
from data.store import ValueRow
from metrics.periods import add_months, period_start
from metrics.query import MONTH, computed_query, reported_query
from metrics.spec import Aggregation, ComputationKind, Grain, MetricSpec, SourceSpec


def _as_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    return dt.date.fromisoformat(str(raw)[:10])


def _geo_key(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


def compute_values(metric: MetricSpec, source: SourceSpec, conn: Connection, fy_start_month: int) -> list[ValueRow]:
    """Run the metric's one query in the source database and roll the result up. Returns the values."""
    table = source_table(source)
    if metric.computation.kind is ComputationKind.REPORTED:
        rows = conn.execute(reported_query(metric, source, table)).mappings().all()
        return [ValueRow(Grain(r["grain"]), _as_date(r["period_start"]), CITY, "", float(r["value"]),
                         note=(r["note"] or None)) for r in rows if r["value"] is not None]
    rows = conn.execute(computed_query(metric, source, table, conn.dialect.name)).mappings().all()
    return roll_up(metric, rows, fy_start_month)


def roll_up(metric: MetricSpec, rows: Sequence[Any], fy_start_month: int) -> list[ValueRow]:
    """Aggregate month rows to each of the metric's grains, for the city and each declared geography."""
    aggregation = metric.computation.aggregation
    assert aggregation is not None
    grains = metric.grains or (Grain.MONTH,)
    levels: list[tuple[str, str | None]] = [(CITY, None), *((g, g) for g in metric.geographies)]
    out: list[ValueRow] = []
    for geography, column in levels:
        groups: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            key = "" if column is None else _geo_key(row[column])
            if key is not None:
                groups[key].append(row)
        for geo_key, members in sorted(groups.items()):
            months = _merge_months(aggregation, members)
            for grain in grains:
                out += _to_grain(aggregation, months, grain, fy_start_month, geography, geo_key)
    return out


def _merge_months(aggregation: Aggregation, rows: Iterable[Any]) -> dict[dt.date, tuple[float, ...]]:
    """Combine rows of the same month (different places) into one tuple of partial aggregates."""
    merged: dict[dt.date, tuple[float, ...]] = {}
    for row in rows:
        month = _as_date(row[MONTH])
        if aggregation is Aggregation.LATEST:
            candidate = (_as_timestamp(row["at"]), float(row["value"]))
            if month not in merged or candidate > merged[month]:
                merged[month] = candidate
            continue
        parts = _parts(aggregation, row)
        previous = merged.get(month)
        merged[month] = parts if previous is None else tuple(a + b for a, b in zip(previous, parts, strict=True))
    return merged


def _as_timestamp(raw: Any) -> float:
    if isinstance(raw, dt.datetime):
        return raw.timestamp()
    if isinstance(raw, dt.date):
        return dt.datetime.combine(raw, dt.time()).timestamp()
    return dt.datetime.fromisoformat(str(raw)).timestamp()


def _parts(aggregation: Aggregation, row: Any) -> tuple[float, ...]:
    if aggregation in (Aggregation.COUNT, Aggregation.CUMULATIVE_COUNT):
        return (float(row["n"]),)
    if aggregation in (Aggregation.SUM, Aggregation.MEAN):
        return (float(row["total"] or 0.0), float(row["n"]))
    return (float(row["numerator"] or 0), float(row["denominator"]))


def _to_grain(aggregation: Aggregation, months: dict[dt.date, tuple[float, ...]], grain: Grain,
              fy_start_month: int, geography: str, geo_key: str) -> list[ValueRow]:
    if not months:
        return []
    if aggregation is Aggregation.CUMULATIVE_COUNT:
        months = _running_total(months)
    periods: dict[dt.date, list[tuple[dt.date, tuple[float, ...]]]] = defaultdict(list)
    for month, parts in sorted(months.items()):
        periods[period_start(month, grain, fy_start_month)].append((month, parts))
    out = []
    for start, members in sorted(periods.items()):
        value, numerator, denominator = _combine(aggregation, members)
        out.append(ValueRow(grain, start, geography, geo_key, value, numerator, denominator))
    return out


def _running_total(months: dict[dt.date, tuple[float, ...]]) -> dict[dt.date, tuple[float, ...]]:
    """Monthly counts → stock at each month's end, with months without events filled in."""
    first, last = min(months), max(months)
    out: dict[dt.date, tuple[float, ...]] = {}
    total, month = 0.0, first
    while month <= last:
        total += months.get(month, (0.0,))[0]
        out[month] = (total,)
        month = add_months(month, 1)
    return out


def _combine(aggregation: Aggregation, members: list[tuple[dt.date, tuple[float, ...]]]
             ) -> tuple[float | None, float | None, float | None]:
    parts = [p for _, p in members]
    if aggregation in (Aggregation.CUMULATIVE_COUNT, Aggregation.LATEST):
        return parts[-1][-1], None, None  # the stock at the period's last month / the latest value
    if aggregation in (Aggregation.COUNT, Aggregation.SUM):
        return math.fsum(p[0] for p in parts), None, None
    first = math.fsum(p[0] for p in parts)
    second = math.fsum(p[1] for p in parts)
    if aggregation is Aggregation.MEAN:
        return (first / second if second else None), None, None
    return (first / second if second else None), first, second
