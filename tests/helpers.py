"""Helpers the tests share: events put into the fixture registry's source table, and stored values read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert

from data.db import get_engine
from data.sources import source_table
from data.store import read_values
from metrics.registry import Registry


def put_events(registry: Registry, rows: list[dict[str, Any]]) -> None:
    table = source_table(registry.sources["events"])
    engine = get_engine()
    table.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(delete(table))
        conn.execute(insert(table), [{"source_line": n, "district": None, "due_at": None, "closed_at": None,
                                      "amount": None} | r for n, r in enumerate(rows, start=2)])


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour)


def value_of(metric_id: str, grain: str, start: dt.date, geography: str = "city", key: str = "") -> Any:
    with get_engine().connect() as conn:
        rows = read_values(conn, [metric_id], grain=grain, geography=geography)[metric_id]
    return next((r for r in rows if r.period_start == start and r.geo_key == key), None)
