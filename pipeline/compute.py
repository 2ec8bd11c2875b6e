"""Turns a metric's query result (month × geography rows) into values at each grain and geography.

A ``latest`` metric's value for a period is its latest reading in it. With areas, the city's value is never
one area's reading: it is the areas' readings added up or weighted (``computation.citywide``), or the
source's own citywide rows; readings of one place at the same moment are combined the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from data.sources import source_table
from metrics.aggregations import AggregationKind, Parts
from metrics.periods import period_start
from metrics.quality import Coverage
from metrics.spec import CitywideMethod, ComputationKind, Grain, MetricSpec, SourceSpec
from metrics.values import CITY, ValueRow
from pipeline.query import CITY_ROW, MONTH, computed_query, coverage_query, reported_query

Reading = tuple[float, float]  # (value, weight) of a place's latest reading


def _as_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    return dt.date.fromisoformat(str(raw)[:10])


def _number(raw: Any) -> float | None:
    return None if raw is None else float(raw)


def _geo_key(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


def compute_values(metric: MetricSpec, source: SourceSpec, conn: Connection, fy_start_month: int) -> list[ValueRow]:
    """Run the metric's one query in the source database and roll the result up. Returns the values."""
    return values_from_rows(metric, source, query_rows(metric, source, conn), fy_start_month)


def query_rows(metric: MetricSpec, source: SourceSpec, conn: Connection) -> Sequence[Any]:
    """The rows of the metric's one query in the source database (month × place groups, or reported figures)."""
    table = source_table(source)
    if metric.computation.kind is ComputationKind.REPORTED:
        return conn.execute(reported_query(metric, source, table)).mappings().all()
    return conn.execute(computed_query(metric, source, table, conn.dialect.name)).mappings().all()


def values_from_rows(metric: MetricSpec, source: SourceSpec, rows: Sequence[Any], fy_start_month: int
                     ) -> list[ValueRow]:
    """The metric's values at each grain and place, from its query's rows."""
    if metric.computation.kind is ComputationKind.REPORTED:
        return reported_values(metric, source, rows)
    if metric.kind and metric.kind.readings:
        return roll_up_latest(metric, rows, fy_start_month)
    return roll_up(metric, rows, fy_start_month)


def inputs_digest(metric: MetricSpec, rows: Sequence[Any], coverage: Coverage, fy_start_month: int,
                  rows_fingerprint: str | None = None) -> str:
    """A fingerprint of everything a metric's values are computed from: its definition, its query's rows (or
    ``rows_fingerprint``, of what they were taken from), what the source covers, the fiscal year, and the code that
    computes and checks them. Equal digests mean equal values, so a refresh whose inputs match the last one's has
    nothing to roll up, check or write."""
    hashed = hashlib.sha256(f"{_code_digest()}|{fy_start_month}|{coverage}|{metric.model_dump_json()}".encode())
    hashed.update((rows_fingerprint or fingerprint(rows)).encode())
    return hashed.hexdigest()


def fingerprint(rows: Iterable[Any]) -> str:
    """A digest of query rows (mappings or tuples), floats to the 12 significant digits the store compares by:
    PostgreSQL adds a group's floats in another order from one query to the next, so their last bits vary."""
    return hashlib.sha256(repr([[f"{raw:.12g}" if type(raw) is float else raw
                                 for raw in (row.values() if isinstance(row, Mapping) else row)]
                                for row in rows]).encode()).hexdigest()


@functools.cache
def _code_digest() -> str:
    """The source of the packages that compute values (a release that changes them recomputes everything); read
    at the first refresh, not when the module is imported."""
    root = Path(__file__).resolve().parent.parent
    hashed = hashlib.sha256()
    for path in sorted([*(root / "metrics").glob("*.py"), *(root / "pipeline").glob("*.py")]):
        hashed.update(path.read_bytes())
    return hashed.hexdigest()


def reported_values(metric: MetricSpec, source: SourceSpec, rows: Sequence[Any]) -> list[ValueRow]:
    """Reported figures as values: a row without an area is the city's; a row for an area the metric does not
    declare is left out. Two rows for the same period and place are an error naming both lines (which one is
    right cannot depend on the order of the file)."""
    seen: dict[tuple[str, dt.date, str, str], Any] = {}
    out = []
    for row in rows:
        if row["value"] is None:
            continue
        areas = {g: key for g in source.geographies if (key := _geo_key(row[g])) is not None}
        if not areas:
            place = (CITY, "")
        elif (declared := [g for g in metric.geographies if g in areas]):
            place = (declared[0], areas[declared[0]])
        else:
            continue
        start = _as_date(row["period_start"])
        if (seen_at := seen.get((row["grain"], start, *place))) is not None:
            where = "the city" if place[0] == CITY else f"{place[0]} {place[1]}"
            raise ValueError(f"source '{source.id}' has two rows for {metric.computation.key} {row['grain']} "
                             f"{start} in {where} (lines {seen_at['line']} and {row['line']}): keep one")
        seen[(row["grain"], start, *place)] = row
        out.append(ValueRow(Grain(row["grain"]), start, place[0], place[1], float(row["value"]),
                            _number(row["numerator"]), _number(row["denominator"]), note=(row["note"] or None)))
    return out


def source_coverage(source: SourceSpec, conn: Connection) -> Coverage:
    """What the source holds: data from its declared start and through its declared end, else from the month of
    its earliest date and through its latest date (event tables), and whether it is a sample.

    A first record is taken to start its month: a sparse source's first event on the 10th does not say the 1st to
    the 9th are missing, where months without any record before it do. Reported figures cover their periods by
    definition, so only a declared start or end applies to them.
    """
    start, end = source.coverage.start, source.coverage.end
    if (start is None or end is None) and source.reported is None:
        earliest, latest = conn.execute(coverage_query(source, source_table(source))).one()
        start = start or (None if earliest is None else _as_date(earliest).replace(day=1))
        end = end or (None if latest is None else _as_date(latest))
    return Coverage(end, source.coverage.sample, start)


def roll_up(metric: MetricSpec, rows: Sequence[Any], fy_start_month: int) -> list[ValueRow]:
    """Aggregate month rows to each of the metric's grains, for the city and each declared geography."""
    kind = metric.kind
    assert kind is not None and not kind.readings
    grains = metric.grains or (Grain.MONTH,)
    levels: list[tuple[str, str | None]] = [(CITY, None), *((g, g) for g in metric.geographies)]
    # a SUM over no value is NULL: nothing
    parsed = [(_as_date(row[MONTH]), tuple(float(row[part] or 0) for part in kind.parts)) for row in rows]
    last = max((month for month, _ in parsed), default=None)  # a stock lasts to the source's last month
    out: list[ValueRow] = []
    for geography, column in levels:
        groups: dict[str, list[tuple[dt.date, Parts]]] = defaultdict(list)
        for row, month_parts in zip(rows, parsed, strict=True):
            key = "" if column is None else _geo_key(row[column])
            if key is not None:
                groups[key].append(month_parts)
        for geo_key, members in sorted(groups.items()):
            merged = _merge_months(members)
            if not merged:
                continue
            months = kind.months(merged, last or max(merged))
            for grain in grains:
                out += _to_grain(kind, months, grain, fy_start_month, geography, geo_key)
    return out


def _merge_months(rows: Iterable[tuple[dt.date, Parts]]) -> dict[dt.date, Parts]:
    """Combine the parts of rows of the same month (different places) into one tuple."""
    merged: dict[dt.date, Parts] = {}
    for month, parts in rows:
        previous = merged.get(month)
        merged[month] = parts if previous is None else tuple(a + b for a, b in zip(previous, parts, strict=True))
    return merged


def _to_grain(kind: AggregationKind, months: Mapping[dt.date, Parts], grain: Grain, fy_start_month: int,
              geography: str, geo_key: str) -> list[ValueRow]:
    periods: dict[dt.date, list[Parts]] = defaultdict(list)
    for month, parts in sorted(months.items()):
        periods[period_start(month, grain, fy_start_month)].append(parts)
    return [ValueRow(grain, start, geography, geo_key, *kind.combine(members))
            for start, members in sorted(periods.items())]


def _as_timestamp(raw: Any) -> float:
    if isinstance(raw, dt.datetime):
        return raw.timestamp()
    if isinstance(raw, dt.date):
        return dt.datetime.combine(raw, dt.time()).timestamp()
    return dt.datetime.fromisoformat(str(raw)).timestamp()


# --- latest readings ------------------------------------------------------------------------------------------
def roll_up_latest(metric: MetricSpec, rows: Sequence[Any], fy_start_month: int) -> list[ValueRow]:
    """Each place's latest reading per period, and the city's from its areas or its own rows."""
    citywide = metric.computation.citywide
    method = citywide.method if citywide else None
    grains = metric.grains or (Grain.MONTH,)
    own = [r for r in rows if r.get(CITY_ROW)]
    areas = [r for r in rows if not r.get(CITY_ROW)]
    periods: dict[tuple[str, str], dict[tuple[Grain, dt.date], Reading]] = {}
    for geography in dict.fromkeys([*metric.geographies, *([metric.citywide_areas] if metric.citywide_areas else [])]):
        for key, members in _places(areas, geography).items():
            periods[(geography, key)] = _latest_per_period(members, grains, fy_start_month, method)
    if method in (CitywideMethod.SUM, CitywideMethod.WEIGHTED):
        city: dict[tuple[Grain, dt.date], list[Reading]] = defaultdict(list)
        for (geography, _), readings in periods.items():
            if geography == metric.citywide_areas:
                for period, reading in readings.items():
                    city[period].append(reading)
        city_values = {period: _ties(method, readings) for period, readings in city.items()}
    else:
        city_values = _latest_per_period(own if method is CitywideMethod.ROWS else rows, grains, fy_start_month, method)
    out = [ValueRow(grain, start, CITY, "", value) for (grain, start), (value, _) in sorted(city_values.items())]
    for (geography, key), readings in sorted(periods.items()):
        if geography in metric.geographies:
            out += [ValueRow(grain, start, geography, key, value)
                    for (grain, start), (value, _) in sorted(readings.items())]
    return out


def _places(rows: Sequence[Any], geography: str) -> dict[str, list[Any]]:
    places: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        key = _geo_key(row[geography])
        if key is not None:
            places[key].append(row)
    return places


def _latest_per_period(rows: Sequence[Any], grains: Sequence[Grain], fy_start_month: int,
                       method: CitywideMethod | None) -> dict[tuple[Grain, dt.date], Reading]:
    """The reading at the latest moment of each period (readings at the same moment combined)."""
    moments: dict[dt.date, tuple[float, list[Reading]]] = {}
    for row in rows:
        weight = row.get("weight", 1.0)
        if row["value"] is None or weight is None:  # a reading without its weight cannot be weighted
            continue
        month, at = _as_date(row[MONTH]), _as_timestamp(row["at"])
        reading = (float(row["value"]), float(weight))
        latest = moments.get(month)
        if latest is None or at > latest[0]:
            moments[month] = (at, [reading])
        elif at == latest[0]:
            latest[1].append(reading)
    out: dict[tuple[Grain, dt.date], Reading] = {}
    for grain in grains:
        for month in sorted(moments):  # later months overwrite: a period keeps its last month's reading
            out[(grain, period_start(month, grain, fy_start_month))] = _ties(method, moments[month][1])
    return out


def _ties(method: CitywideMethod | None, readings: list[Reading]) -> Reading:
    """Readings of one place (or the city's areas) combined: added up, weighted by their weights, or averaged."""
    if method is CitywideMethod.SUM:
        return math.fsum(v for v, _ in readings), 1.0
    if method is CitywideMethod.WEIGHTED:
        weight = math.fsum(w for _, w in readings)
        return (math.fsum(v * w for v, w in readings) / weight if weight else math.nan), weight
    return math.fsum(v for v, _ in readings) / len(readings), 1.0
