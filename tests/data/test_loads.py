"""Loads fail loudly and lose nothing: headers checked first, encodings named by line, one bad cell rejects
one row, too many rejections fail the load, and a failed load keeps the previous table (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.access import Gate
from data.config import PROJECT_ROOT
from data.db import get_engine
from data.models import Role, SourceLoad
from data.policy import Viewer
from data.source_files import LoadError
from data.sources import load_source, source_table
from metrics.registry import Registry
from metrics.spec import SourceSpec
from tests.conftest import FIXTURES
from tests.helpers import spec_for

GOOD = ("Id,Created,District,Hood\n"
        "1,10/21/2019 11:49:49 AM,7,Mondawmin\n"
        "2,10/22/2019 01:00:00 PM,3,Canton\n")


def _ids(spec: SourceSpec) -> list[str]:
    table = source_table(spec)
    with get_engine().connect() as conn:
        return list(conn.execute(select(table.c.request_id).order_by(table.c.request_id)).scalars())


def _loads() -> list[tuple[str, str | None]]:
    loads = SourceLoad.__table__  # type: ignore[attr-defined]
    with get_engine().connect() as conn:
        return [(r.status, r.error) for r in conn.execute(select(loads.c.status, loads.c.error).order_by(loads.c.id))]


def _load_then_replace(tmp_path: Path, replacement: bytes, **load: object) -> tuple[SourceSpec, LoadError]:
    """Load a good file, then try ``replacement``; return the spec and the error the second load raised."""
    path = tmp_path / "requests.csv"
    path.write_text(GOOD)
    spec = spec_for(path, **load)
    load_source(spec, fy_start_month=7, timezone="UTC")
    path.write_bytes(replacement)
    with pytest.raises(LoadError) as failure:
        load_source(spec, fy_start_month=7, timezone="UTC")
    return spec, failure.value


def test_a_misspelled_header_fails_before_the_first_row_and_keeps_the_table(database: str, tmp_path: Path) -> None:
    spec, error = _load_then_replace(tmp_path, GOOD.replace("Hood", "Neighbourhood").encode())
    assert "requests.csv:1: the header has no 'Hood'" in str(error)
    assert "headers found: 'Id', 'Created', 'District', 'Neighbourhood'" in str(error)
    spec, error = _load_then_replace(tmp_path, GOOD.replace("Created", "Createdd").encode())
    assert "no 'Created' (closest: 'Createdd')" in str(error)
    assert _ids(spec) == ["1", "2"]
    assert [status for status, _ in _loads()] == ["success", "failed", "success", "failed"]
    assert "closest: 'Createdd'" in (_loads()[-1][1] or "")


def test_an_undecodable_byte_names_its_line_and_keeps_the_table(database: str, tmp_path: Path) -> None:
    latin = (GOOD + "3,10/23/2019 09:00:00 AM,9,Caf\u00e9 District\n").encode("cp1252")
    spec, error = _load_then_replace(tmp_path, latin)
    assert ":4: cannot be read as utf-8 (byte 0xe9)" in str(error) and "encoding: cp1252" in str(error)
    assert _ids(spec) == ["1", "2"]
    report = load_source(spec_for(tmp_path / "requests.csv", encoding="cp1252"), fy_start_month=7, timezone="UTC")
    assert report.rows_loaded == 3
    table = source_table(spec)
    with get_engine().connect() as conn:
        assert conn.execute(select(table.c.neighborhood).where(table.c.request_id == "3")).scalar() == "CAFÉ DISTRICT"


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_header(database: str, tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_source(spec_for(path), fy_start_month=7, timezone="UTC").rows_loaded == 2


def test_one_bad_cell_rejects_its_row_and_the_rest_loads(database: str, tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text("Id,Created,District,Hood,Score\n"
                    "1,10/21/2019 11:49:49 AM,7,Mondawmin,1.5\n"
                    "2,10/21/2019 11:49:49 AM,7,Mondawmin,nan\n"
                    "3,10/21/2019 11:49:49 AM,7,Mondawmin,inf\n"
                    "4,10/21/2019 11:49:49 AM,7,Mon\x00dawmin,2\n"
                    "5,10/21/2019 11:49:49 AM,99999999999999999999,Mondawmin,2\n"
                    "6,10/21/2019 11:49:49 AM,7,Mondawmin,2,extra\n"
                    "7,10/21/2019 11:49:49 AM,7\n"
                    "8,10/21/2019 11:49:49 AM,4000000000,Canton,-1e999\n"
                    "9,10/21/2019 11:49:49 AM,4000000000,Canton,3\n")
    spec = spec_for(path, max_rejected_share=0.9)
    spec = spec.model_copy(update={"columns": (*spec.columns, *SourceSpec.model_validate({
        "id": "x", "title": "x", "table": "x", "time_column": "score",
        "columns": [{"name": "score", "csv": "Score", "type": "float", "required": True}]}).columns)})
    report = load_source(spec, fy_start_month=7, timezone="UTC")
    assert report.rejected == [
        (3, "score is empty"),
        (4, "score 'inf' is not a finite number"),
        (5, "neighborhood contains a NUL character (a damaged or binary file?)"),
        (6, "district '99999999999999999999' is out of range for a whole number (64 bits)"),
        (7, "row has 6 fields, more than the header's 5"),
        (8, "row has 3 fields, fewer than the header's 5"),
        (9, "score '-1e999' is not a finite number"),
    ]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (9, 2, 7)
    table = source_table(spec)
    with get_engine().connect() as conn:
        rows = conn.execute(select(table.c.request_id, table.c.district).order_by(table.c.request_id)).all()
    assert [tuple(r) for r in rows] == [("1", 7), ("9", 4000000000)]


def test_more_rejections_than_tolerated_fail_the_load_and_keep_the_table(database: str, tmp_path: Path) -> None:
    bad = GOOD + "".join(f"{n},not a date,7,Canton\n" for n in range(3, 6))
    spec, error = _load_then_replace(tmp_path, bad.encode(), max_rejected_share=0.5)
    assert str(error).startswith("3 of 5 rows rejected (60.0%), more than the 50.0% this source tolerates")
    assert "3 × created_at is not a date and time in format %m/%d/%Y %I:%M:%S %p" in str(error)
    assert _ids(spec) == ["1", "2"]
    loads = SourceLoad.__table__  # type: ignore[attr-defined]
    with get_engine().connect() as conn:
        failed = conn.execute(select(loads).order_by(loads.c.id.desc()).limit(1)).one()
    assert (failed.status, failed.rows_read, failed.rows_rejected) == ("failed", 5, 3)
    assert len(json.loads(failed.rejections)) == 3


def test_every_rejection_is_counted_and_the_first_500_are_kept(database: str, tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(GOOD + "".join(f"{n},10/21/2019 11:49:49 AM,seven,Canton\n" for n in range(3, 1203)))
    report = load_source(spec_for(path, max_rejected_share=1), fy_start_month=7, timezone="UTC")
    assert (report.rows_rejected, len(report.rejected)) == (1200, 500)
    assert report.reasons == {"district is not a whole number": 1200}
    loads = SourceLoad.__table__  # type: ignore[attr-defined]
    with get_engine().connect() as conn:
        record = conn.execute(select(loads)).one()
    assert record.rows_rejected == 1200 and len(json.loads(record.rejections)) == 500


def test_a_header_without_rows_fails_and_keeps_the_table(database: str, tmp_path: Path) -> None:
    spec, error = _load_then_replace(tmp_path, b"Id,Created,District,Hood\n")
    assert "has a header but no rows" in str(error)
    assert _ids(spec) == ["1", "2"]


def test_midnights_with_an_offset_stay_on_their_day(database: str, tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text("Id,Paid,Day\n"
                    "1,2024-07-01T00:00:00+00,2024-07-01T00:00:00+00\n"
                    "2,2024-07-01 16:30:00+00,2024-07-01 23:30:00-05\n"
                    "3,2024-07-01T00:00:00Z,2024-07-01\n")
    spec = SourceSpec.model_validate({
        "id": "payments", "title": "Payments", "table": "src_payments", "time_column": "paid_at",
        "columns": [{"name": "payment_id", "csv": "Id", "required": True},
                    {"name": "paid_at", "csv": "Paid", "type": "datetime", "required": True},
                    {"name": "paid_on", "csv": "Day", "type": "date"}],
        "load": {"file": str(path)}})
    assert load_source(spec, fy_start_month=7, timezone="America/New_York").rows_loaded == 3
    table = source_table(spec)
    with get_engine().connect() as conn:
        rows = conn.execute(select(table.c.paid_at, table.c.paid_on).order_by(table.c.payment_id)).all()
    assert [tuple(r) for r in rows] == [
        (dt.datetime(2024, 7, 1), dt.date(2024, 7, 1)),
        (dt.datetime(2024, 7, 1, 12, 30), dt.date(2024, 7, 1)),  # a moment: converted to the city's time
        (dt.datetime(2024, 7, 1), dt.date(2024, 7, 1))]


def test_a_percent_z_format_reads_hour_only_offsets(database: str, tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text("Id,Paid\n1,2024-07-01 16:30:00+00\n2,2024-07-01 16:30:00+0100\n")
    spec = SourceSpec.model_validate({
        "id": "payments", "title": "Payments", "table": "src_payments", "time_column": "paid_at",
        "columns": [{"name": "payment_id", "csv": "Id", "required": True},
                    {"name": "paid_at", "csv": "Paid", "type": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S%z",
                     "required": True}],
        "load": {"file": str(path)}})
    report = load_source(spec, fy_start_month=7, timezone="UTC")
    assert (report.rows_loaded, report.rejected) == (2, [])
    table = source_table(spec)
    with get_engine().connect() as conn:
        moments = list(conn.execute(select(table.c.paid_at).order_by(table.c.payment_id)).scalars())
    assert moments == [dt.datetime(2024, 7, 1, 16, 30), dt.datetime(2024, 7, 1, 15, 30)]


def test_a_located_column_holds_the_area_of_each_rows_point(database: str, tmp_path: Path,
                                                            baltimore_registry: Registry) -> None:
    path = tmp_path / "notices.csv"
    path.write_text('Id,Where\n1,"(39.30941765, -76.65104057)"\n2,POINT (-76.65104057 39.30941765)\n3,\n'
                    '4,"(40.5, -76.0)"\n5,somewhere\n')
    spec = SourceSpec.model_validate({
        "id": "notices", "title": "Notices", "table": "src_notices", "time_column": "notice_id",
        "geographies": {"csa": "csa"},
        "columns": [{"name": "notice_id", "csv": "Id", "type": "integer", "required": True},
                    {"name": "location", "csv": "Where"},
                    {"name": "csa", "locate": {"geography": "csa", "point": "location"}}],
        "load": {"file": str(path)}})
    load_source(spec, fy_start_month=7, timezone="UTC", geographies=baltimore_registry.city.geographies)
    table = source_table(spec)
    with get_engine().connect() as conn:
        areas = list(conn.execute(select(table.c.csa).order_by(table.c.notice_id)).scalars())
    assert areas == ["Sandtown-Winchester/Harlem Park", "Sandtown-Winchester/Harlem Park", None, None, None]


def test_every_baltimore_vacant_notice_is_placed_in_a_community_statistical_area(
        database: str, baltimore_registry: Registry) -> None:
    source = baltimore_registry.sources["vacant_building_notices"]
    load_source(source, fy_start_month=7, timezone="UTC", geographies=baltimore_registry.city.geographies)
    table = source_table(source)
    with get_engine().connect() as conn:
        placed, areas = conn.execute(select(func.count(table.c.csa), func.count(table.c.csa.distinct()))).one()
    assert (placed, areas) == (16747, 55)  # two CSA boundaries have self-crossing rings: repaired, not skipped


def test_the_cli_says_truthfully_what_is_kept_and_fails_on_a_failed_load(database: str, tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(FIXTURES / "registry", registry)
    path = tmp_path / "events.csv"
    path.write_text("event_id,happened_at,district,due_at,closed_at,amount\n"
                    + "".join(f"e{n},2025-08-01 10:00:00,{'x' if n % 2 else 1},,,\n" for n in range(1200)))
    sources = registry / "sources.yaml"
    sources.write_text(sources.read_text() + f"    load: {{file: {path}, max_rejected_share: 0.5}}\n")
    run = subprocess.run([sys.executable, "-m", "pipeline", "--registry", str(registry), "load"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout
    assert "600 rows loaded, 600 rejected of 1,200 read" in run.stdout
    assert "600 × district is not a whole number" in run.stdout
    assert "… 590 more; the first 500 are kept in the load record (data health)" in run.stdout
    path.write_text(path.read_text().replace("happened_at", "happend_at"))
    run = subprocess.run([sys.executable, "-m", "pipeline", "--registry", str(registry), "load"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert "FAILED: " in run.stdout and "the header has no 'happened_at' (closest: 'happend_at')" in run.stdout
    assert "The previous table and its values are kept." in run.stdout


def test_data_health_shows_kept_rejections_and_what_the_table_holds(database: str, tmp_path: Path,
                                                                     test_registry: Registry) -> None:
    spec, _ = _load_then_replace(tmp_path, (GOOD + "3,10/23/2019 09:00:00 AM,seven,Canton\n").encode(),
                                 max_rejected_share=0.1)
    reads = Gate(test_registry)
    [load] = reads.health(Viewer(Role.ADMIN, "a"))[1]
    assert (load.status, load.rows_read, load.rows_rejected) == ("failed", 3, 1)
    assert load.rejections == ((4, "district 'seven' is not a whole number"),)
    assert load.holds is not None and load.finished_at is not None and load.holds < load.finished_at
    assert reads.health(Viewer(Role.AGENCY, "w", frozenset({"AG1"})))[1] == []  # no metric of theirs reads it


def test_a_file_with_a_column_per_fiscal_quarter_becomes_one_row_per_period(database: str, tmp_path: Path) -> None:
    path = tmp_path / "actuals.csv"
    path.write_text("code,year,Q1 actual,Q2 actual,Q3 actual,Q4 actual,Year actual,Q1 comment\n"
                    "W-1,2026,5,6,,,,storms\n"
                    "W-2,2025,,,,,40,\n"
                    "W-3,twenty,1,,,,,\n")
    spec = SourceSpec.model_validate({
        "id": "ward_actuals", "title": "Ward actuals", "table": "src_ward_actuals", "time_column": "period_start",
        "columns": [{"name": "code", "required": True}, {"name": "fiscal_year", "type": "integer", "required": True},
                    {"name": "period"}, {"name": "grain"}, {"name": "period_start", "type": "date", "required": True},
                    {"name": "value", "type": "float"}, {"name": "note"}],
        "load": {"file": str(path), "format": "fiscal_period_columns", "max_rejected_share": 1,
                 "period_columns": {"key": "code", "fiscal_year": "year", "quarter": "Q{n} actual",
                                    "quarter_note": "Q{n} comment", "year": "Year actual"}}})
    report = load_source(spec, fy_start_month=7, timezone="UTC")
    table = source_table(spec)
    with get_engine().connect() as conn:
        rows = conn.execute(select(table.c.code, table.c.period, table.c.period_start, table.c.value, table.c.note)
                            .order_by(table.c.code, table.c.period_start)).all()
    assert [tuple(r) for r in rows] == [("W-1", "Q1", dt.date(2025, 7, 1), 5.0, "storms"),
                                        ("W-1", "Q2", dt.date(2025, 10, 1), 6.0, None),
                                        ("W-2", "FY", dt.date(2024, 7, 1), 40.0, None)]  # empty is NULL
    assert report.rows_rejected == 1 and report.rejected[0][0] == 4  # the row whose year is not a year
    with pytest.raises(ValueError, match="period_columns"):
        SourceSpec.model_validate({**spec.model_dump(), "load": {"file": "x.csv", "format": "fiscal_period_columns"}})
