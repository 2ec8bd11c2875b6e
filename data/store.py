"""The value store: versioned writes (a restatement never overwrites) and reads, current or as of a moment.

A value's quality flags and covered share are part of its version: when the gate's finding on a value
changes, the old version is closed like any restatement, so the as-of history shows what the site said.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, or_, select, text, update

from data.models import MetricValue, RefreshRun, RunStatus, aware, utcnow
from metrics.values import Flag, QualityRule, ValueRow

VALUE = MetricValue.__table__  # type: ignore[attr-defined]
COPY_FROM = 100  # versions from which PostgreSQL is sent them by COPY
READ_AT_ONCE = 500  # metrics whose current values one query reads
VERSION_COLUMNS = ("metric_id", "grain", "period_start", "geography", "geo_key", "value", "numerator", "denominator",
                   "note", "flags", "covered_through", "valid_from", "valid_to", "run_id")
COLUMN_TYPES = text("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = CAST(:table AS regclass) "
                    "AND attnum > 0 AND NOT attisdropped")  # PostgreSQL's catalogue: each column's type
RUN = RefreshRun.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class WriteResult:
    inserted: int  # new keys
    restated: int  # keys whose value changed: the old version was closed, a new one inserted
    unchanged: int


def same_number(a: float | None, b: float | None) -> bool:
    """Equal as stored: both missing, both not a number, or equal to 12 significant digits."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def encode_flags(flags: Sequence[Flag]) -> str | None:
    return json.dumps([{"rule": f.rule.value, "reason": f.reason} for f in flags]) if flags else None


def decode_flags(text: str | None) -> tuple[Flag, ...]:
    return tuple(Flag(QualityRule(f["rule"]), f["reason"]) for f in json.loads(text)) if text else ()


def _differs(old: Row[Any], new: ValueRow) -> bool:
    return not (same_number(old.value, new.value) and same_number(old.numerator, new.numerator)
                and same_number(old.denominator, new.denominator) and (old.note or None) == (new.note or None)
                and old.flags == encode_flags(new.flags) and old.covered_through == new.covered_through)


def lock_metrics(conn: Connection, metric_ids: Iterable[str]) -> None:
    """On PostgreSQL, serialise writers of each metric until the transaction ends (taken in one order, so two
    writers of overlapping sets wait for each other rather than deadlock)."""
    keys = sorted({zlib.crc32(metric_id.encode()) for metric_id in metric_ids})
    if keys and conn.dialect.name == "postgresql":
        conn.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k"),
                     {"keys": keys})


@dataclass(frozen=True)
class LastRun:
    """A metric's last successful refresh: what it computed from (``digest``), how many values, its warnings."""

    digest: str
    rows_read: int
    warnings: str | None

    @property
    def warning_lines(self) -> list[str]:
        return (self.warnings or "").splitlines()


def unchanged_since_last_run(conn: Connection, metric_ids: Sequence[str]) -> dict[str, LastRun]:
    """Each metric's last successful run, where no value of the metric was written after it (by a data call's
    publication, say): a refresh computing from the same inputs again has nothing to write."""
    last = (select(RUN.c.metric_id, func.max(RUN.c.id).label("id"))
            .where(RUN.c.status == RunStatus.SUCCESS, RUN.c.metric_id.in_(list(metric_ids)))
            .group_by(RUN.c.metric_id).subquery())
    runs = {r.metric_id: r for r in conn.execute(select(RUN).join(last, RUN.c.id == last.c.id)) if r.digest}
    latest_write = select(VALUE.c.metric_id, func.max(VALUE.c.valid_from)).group_by(VALUE.c.metric_id)
    written: dict[str, dt.datetime] = dict(conn.execute(latest_write.where(VALUE.c.metric_id.in_(list(runs)))).all())
    return {metric_id: LastRun(run.digest, run.rows_read, run.warnings) for metric_id, run in runs.items()
            if metric_id not in written or aware(written[metric_id]) <= aware(run.finished_at)}


def write_values(conn: Connection, metric_id: str, rows: Iterable[ValueRow], *, run_id: int | None,
                 now: dt.datetime | None = None) -> WriteResult:
    """Upsert ``rows`` as the current values of ``metric_id``, keeping every earlier version.

    Duplicate keys in ``rows`` keep the last (PostgreSQL rejects them where SQLite does not). Keys absent
    from ``rows`` keep their current value. Call inside a transaction; nothing is committed here.
    """
    return write_many(conn, {metric_id: rows}, lambda _: {metric_id: run_id}, now)[metric_id]


def write_many(conn: Connection, values: Mapping[str, Iterable[ValueRow]],
               runs: Callable[[dict[str, WriteResult]], Mapping[str, int | None]],
               now: dt.datetime | None = None) -> dict[str, WriteResult]:
    """``write_values`` for several metrics at once: their current values read by one query, their new versions
    sent together (a refresh writes thousands of metrics; a round trip each would cost more than the writing).
    ``runs`` is told what each metric's write holds before anything is written, and answers the run each
    metric's new versions carry. Call inside a transaction; nothing is committed here.
    """
    now = now or utcnow()
    lock_metrics(conn, values)
    current: dict[str, dict[tuple[str, dt.date, str, str], Row[Any]]] = {metric_id: {} for metric_id in values}
    metric_ids = list(values)
    for start in range(0, len(metric_ids), READ_AT_ONCE):
        chosen = metric_ids[start:start + READ_AT_ONCE]
        for r in conn.execute(select(VALUE).where(VALUE.c.metric_id.in_(chosen), VALUE.c.valid_to.is_(None))):
            current[r.metric_id][(r.grain, r.period_start, r.geography, r.geo_key)] = r
    changes: dict[str, tuple[list[int], list[ValueRow]]] = {}
    results: dict[str, WriteResult] = {}
    for metric_id, rows in values.items():
        latest = {row.key: row for row in rows}
        mine = current[metric_id]
        closed, changed, inserted = [], [], 0
        for key, row in latest.items():
            old = mine.get(key)
            if old is None:
                inserted += 1
            elif _differs(old, row):
                closed.append(old.id)
            else:
                continue
            changed.append(row)
        changes[metric_id] = (closed, changed)
        results[metric_id] = WriteResult(inserted, len(closed), len(latest) - len(changed))
    run_ids = runs(results)
    to_close = [{"row_id": row_id} for closed, _ in changes.values() for row_id in closed]
    if to_close:
        conn.execute(update(VALUE).where(VALUE.c.id == bindparam("row_id")).values(valid_to=now), to_close)
    insert_versions(conn, [(metric_id, str(row.grain), row.period_start, row.geography, row.geo_key, row.value,
                            row.numerator, row.denominator, row.note, encode_flags(row.flags), row.covered_through,
                            now, None, run_ids[metric_id])
                           for metric_id, (_, changed) in changes.items() for row in changed])
    return results


def insert_versions(conn: Connection, versions: list[tuple[Any, ...]]) -> None:
    """Insert value versions (tuples in ``VERSION_COLUMNS`` order); on PostgreSQL a large set goes by COPY (an
    INSERT a row costs about ten times more), in its binary form, with the columns' types read from the catalogue
    once per connection (psycopg then formats a row five times faster than as text)."""
    if len(versions) < COPY_FROM or conn.dialect.name != "postgresql":
        if versions:
            conn.execute(insert(VALUE), [dict(zip(VERSION_COLUMNS, version, strict=True)) for version in versions])
        return
    known = conn.connection.info  # kept with the database connection, as long as it lives
    if "metric_value_types" not in known:
        known["metric_value_types"] = dict(conn.execute(COLUMN_TYPES, {"table": VALUE.name}).all())
    types: dict[str, int] = known["metric_value_types"]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {VALUE.name} ({', '.join(VERSION_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([types[column] for column in VERSION_COLUMNS])
        for version in versions:
            copy.write_row(version)


def read_values(conn: Connection, metric_ids: Sequence[str], *, as_of: dt.datetime | None = None,
                grain: str | None = None, geography: str | None = None) -> dict[str, list[ValueRow]]:
    """Values of each metric, current or as they stood at ``as_of``, ordered by period."""
    if as_of is None:
        live = VALUE.c.valid_to.is_(None)
    else:
        live = and_(VALUE.c.valid_from <= as_of, or_(VALUE.c.valid_to.is_(None), VALUE.c.valid_to > as_of))
    query = select(VALUE).where(VALUE.c.metric_id.in_(list(metric_ids)), live)
    if grain:
        query = query.where(VALUE.c.grain == grain)
    if geography:
        query = query.where(VALUE.c.geography == geography)
    rows = conn.execute(query.order_by(VALUE.c.metric_id, VALUE.c.period_start, VALUE.c.grain, VALUE.c.geo_key))
    out: dict[str, list[ValueRow]] = {metric_id: [] for metric_id in metric_ids}
    for r in rows:
        out[r.metric_id].append(value_row(r))
    return out


def value_row(r: Row[Any]) -> ValueRow:
    """A stored version as the domain's value."""
    return ValueRow(r.grain, r.period_start, r.geography, r.geo_key, r.value, r.numerator, r.denominator, r.note,
                    decode_flags(r.flags), r.covered_through)
