"""Helpers the tests share: events put into the fixture registry's source table, stored values read back, a
311-style source reading a file, and the viewers, values and session of the CitiStat tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert

from data import session_changes
from data.access import Gate
from data.db import get_engine
from data.models import Role
from data.policy import Viewer
from data.sources import load_source, source_table
from data.store import read_values, write_values
from metrics.registry import Registry
from metrics.spec import SourceSpec
from metrics.values import ValueRow


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


def spec_for(path: Path, **load: object) -> SourceSpec:
    """A 311-style source reading ``path``; ``load`` adds load settings (the tests' files reject up to half)."""
    return SourceSpec.model_validate({
        "id": "requests", "title": "Requests", "table": "src_requests", "time_column": "created_at",
        "geographies": {"district": "district"},
        "columns": [
            {"name": "request_id", "csv": "Id", "required": True},
            {"name": "created_at", "csv": "Created", "type": "datetime", "datetime_format": "%m/%d/%Y %I:%M:%S %p",
             "required": True},
            {"name": "district", "csv": "District", "type": "integer"},
            {"name": "neighborhood", "csv": "Hood", "transform": ["strip", "upper"]},
        ],
        "load": {"file": str(path), "max_rejected_share": 0.5} | load,
    })


# CitiStat: viewers, the months of events_count the session tests judge, and a session on agency AG1.
ADMIN = Viewer(Role.ADMIN, "ana")
PUBLIC_WORKS = Viewer(Role.AGENCY, "pw", frozenset({"AG1"}))
POLICE = Viewer(Role.AGENCY, "cop", frozenset({"AG2"}))
MONTHS = [dt.date(2025, m, 1) for m in (7, 8, 9, 10)]


def put_months(values: list[float], run_id: int | None = None) -> None:
    """events_count (lower is better, FY2026 target 120, so 10 a month) for July to October 2025."""
    rows = [ValueRow("month", start, "city", "", value) for start, value in zip(MONTHS, values, strict=True)]
    with get_engine().begin() as conn:
        write_values(conn, "events_count", rows, run_id=run_id)


def new_session(gate: Gate, meets_on: str = "2025-11-05", cutoff: str = "2025-10-31") -> int:
    return session_changes.create_session(gate, ADMIN, subject="agency:AG1", meets_on=meets_on, data_cutoff=cutoff,
                                          attendees="Director: Dana Reyes\nCity Administrator: Sam Lee")


def load_reported(registry: Registry) -> None:
    """Load the registry's data call sources (the City's reported figures) from their files."""
    for source in registry.sources.values():
        if source.data_call:
            load_source(source, fy_start_month=registry.city.fiscal_year_start_month, timezone=registry.city.timezone,
                        progress=lambda _: None)
