"""The value store: versioned writes (a restatement never overwrites) and reads, current or as of a moment."""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, insert, or_, select, text, update

from data.models import MetricValue, utcnow

VALUE = MetricValue.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ValueRow:
    """One value of a metric for a period and a place (``geography`` "city" with key "" is citywide)."""

    grain: str
    period_start: dt.date
    geography: str
    geo_key: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = None

    @property
    def key(self) -> tuple[str, dt.date, str, str]:
        return (self.grain, self.period_start, self.geography, self.geo_key)


@dataclass(frozen=True)
class WriteResult:
    inserted: int  # new keys
    restated: int  # keys whose value changed: the old version was closed, a new one inserted
    unchanged: int


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _differs(old: Row[Any], new: ValueRow) -> bool:
    return not (_same(old.value, new.value) and _same(old.numerator, new.numerator)
                and _same(old.denominator, new.denominator) and (old.note or None) == (new.note or None))


def lock_metric(conn: Connection, metric_id: str) -> None:
    """On PostgreSQL, serialise writers of one metric until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(metric_id.encode())})


def write_values(conn: Connection, metric_id: str, rows: Iterable[ValueRow], *, run_id: int | None,
                 now: dt.datetime | None = None) -> WriteResult:
    """Upsert ``rows`` as the current values of ``metric_id``, keeping every earlier version.

    Duplicate keys in ``rows`` keep the last (PostgreSQL rejects them where SQLite does not). Keys absent
    from ``rows`` keep their current value. Call inside a transaction; nothing is committed here.
    """
    now = now or utcnow()
    lock_metric(conn, metric_id)
    latest: dict[tuple[str, dt.date, str, str], ValueRow] = {}
    for row in rows:
        latest[row.key] = row
    current = {(r.grain, r.period_start, r.geography, r.geo_key): r for r in conn.execute(
        select(VALUE).where(VALUE.c.metric_id == metric_id, VALUE.c.valid_to.is_(None)))}
    to_close, to_insert, inserted = [], [], 0
    for key, row in latest.items():
        old = current.get(key)
        if old is not None and not _differs(old, row):
            continue
        if old is None:
            inserted += 1
        else:
            to_close.append({"row_id": old.id})
        to_insert.append({"metric_id": metric_id, "grain": row.grain, "period_start": row.period_start,
                          "geography": row.geography, "geo_key": row.geo_key, "value": row.value,
                          "numerator": row.numerator, "denominator": row.denominator, "note": row.note,
                          "valid_from": now, "valid_to": None, "run_id": run_id})
    if to_close:
        conn.execute(update(VALUE).where(VALUE.c.id == bindparam("row_id")).values(valid_to=now), to_close)
    if to_insert:
        conn.execute(insert(VALUE), to_insert)
    return WriteResult(inserted, len(to_close), len(latest) - len(to_insert))


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
    rows = conn.execute(query.order_by(VALUE.c.metric_id, VALUE.c.period_start, VALUE.c.geo_key))
    out: dict[str, list[ValueRow]] = {metric_id: [] for metric_id in metric_ids}
    for r in rows:
        out[r.metric_id].append(ValueRow(r.grain, r.period_start, r.geography, r.geo_key, r.value, r.numerator,
                                         r.denominator, r.note))
    return out
