"""Source loading: typed rows, rejected rows named with line and reason, idempotent reloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.db import get_engine
from data.models import MetricValue, SourceLoad
from data.source_files import LoadError
from data.sources import load_source, source_table
from tests.helpers import spec_for


@pytest.fixture
def malformed_csv(tmp_path: Path) -> Path:
    path = tmp_path / "requests.csv"
    path.write_text(
        "Id,Created,District,Hood\n"
        "1,10/21/2019 11:49:49 AM,7,mondawmin \n"
        "2,2019-10-21,7,Mondawmin\n"
        "3,10/21/2019 11:49:49 AM,seven,Mondawmin\n"
        ",10/21/2019 11:49:49 AM,7,Mondawmin\n"
        "5,10/22/2019 01:00:00 PM,NA,\n"
        "6,10/22/2019 01:00:00 PM,3.0,Canton\n"
    )
    return path


def test_malformed_rows_are_rejected_with_line_and_reason(database: str, malformed_csv: Path) -> None:
    report = load_source(spec_for(malformed_csv), fy_start_month=7, timezone="America/New_York")
    assert (report.rows_read, report.rows_loaded) == (6, 3)
    assert report.rejected == [
        (3, "created_at '2019-10-21' is not a date and time in format %m/%d/%Y %I:%M:%S %p"),
        (4, "district 'seven' is not a whole number"),
        (5, "request_id is empty"),
    ]
    table = source_table(spec_for(malformed_csv))
    with get_engine().connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.request_id)).mappings().all()
        record = conn.execute(select(SourceLoad.__table__)).one()  # type: ignore[attr-defined]
    assert [(r["request_id"], r["district"], r["neighborhood"], r["source_line"]) for r in rows] == [
        ("1", 7, "MONDAWMIN", 2), ("5", None, None, 6), ("6", 3, "CANTON", 7)]
    assert record.status == "success" and record.rows_rejected == 3
    assert json.loads(record.rejections)[1] == {"line": 4, "reason": "district 'seven' is not a whole number"}


def test_reload_is_idempotent(database: str, malformed_csv: Path) -> None:
    spec = spec_for(malformed_csv)
    load_source(spec, fy_start_month=7, timezone="UTC")
    load_source(spec, fy_start_month=7, timezone="UTC")
    with get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(source_table(spec))).scalar() == 3


def test_missing_file_fails_and_keeps_previous_rows(database: str, malformed_csv: Path) -> None:
    spec = spec_for(malformed_csv)
    load_source(spec, fy_start_month=7, timezone="UTC")
    malformed_csv.unlink()
    with pytest.raises(LoadError, match="requests.csv not found"):
        load_source(spec, fy_start_month=7, timezone="UTC")
    with get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(source_table(spec))).scalar() == 3
        statuses = conn.execute(select(SourceLoad.__table__.c.status)).scalars().all()  # type: ignore[attr-defined]
    assert statuses == ["success", "failed"]


def test_city_measure_actuals_reshape_to_one_row_per_period(database: str, baltimore_registry: object) -> None:
    from metrics.registry import Registry

    assert isinstance(baltimore_registry, Registry)
    source = baltimore_registry.sources["city_performance_measures"]
    report = load_source(source, fy_start_month=7, timezone="America/New_York")
    assert report.rejected == [] and report.rows_loaded == 5558  # 990+974+926+467 quarters + 2201 annual
    table = source_table(source)
    with get_engine().connect() as conn:
        rows = conn.execute(select(table.c.period, table.c.period_start, table.c.value)
                            .where(table.c.measure_id == "2", table.c.fiscal_year == 2025)
                            .order_by(table.c.period_start, table.c.period)).all()
    assert [(r.period, str(r.period_start), r.value) for r in rows] == [
        ("FY", "2024-07-01", 0.79), ("Q1", "2024-07-01", 0.83), ("Q2", "2024-10-01", 0.84),
        ("Q3", "2025-01-01", 0.77), ("Q4", "2025-04-01", 0.72)]


def test_excel_residue_is_cleaned_from_text_and_the_file_is_untouched(database: str, tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    raw = ('Id,Created,District,Hood\n'
           '1,10/21/2019 11:49:49 AM,7,"Late in Q1._x000D_\nSee the memo.  _x000D_\n_x000D_\n_x000D_\n\x07Done "\n'
           '_x000D_,10/21/2019 11:49:49 AM,7,Canton\n')
    path.write_text(raw)
    spec = spec_for(path).model_copy(update={"columns": tuple(
        c.model_copy(update={"transform": ()}) if c.name == "neighborhood" else c for c in spec_for(path).columns)})
    report = load_source(spec, fy_start_month=7, timezone="UTC")
    assert report.rejected == [(7, "request_id is empty")]  # nothing but residue is empty (the note spans 2–6)
    with get_engine().connect() as conn:
        [note] = conn.execute(select(source_table(spec).c.neighborhood)).scalars().all()
    assert note == "Late in Q1.\nSee the memo.\n\nDone"
    assert path.read_text() == raw


def test_no_excel_residue_reaches_the_baltimore_value_notes(database: str, baltimore_registry: object) -> None:
    from metrics.registry import Registry
    from pipeline.refresh import refresh_all

    assert isinstance(baltimore_registry, Registry)
    source = baltimore_registry.sources["city_performance_measures"]
    load_source(source, fy_start_month=7, timezone="America/New_York")
    assert "_x000D_" in source.load.path.read_text()  # type: ignore[union-attr]
    refresh_all(baltimore_registry, ["pm_92", "pm_2", "pm_290"])
    with get_engine().connect() as conn:
        notes = conn.execute(select(MetricValue.__table__.c.note)).scalars().all()  # type: ignore[attr-defined]
    assert any(notes) and not any("_x000D_" in n or "\r" in n for n in notes if n)
