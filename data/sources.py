"""Source tables: their SQLAlchemy shape from the registry, and the loader that fills them from files.

A load is one transaction that replaces the table's rows, so running it twice gives the same table, and a
failed load leaves the previous rows. Rows that cannot be typed are rejected with their line and reason;
every other row is kept. Text is cleaned of Excel's residue on the way in (the file is never edited).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Date, DateTime, Engine, Float, Index, Integer, MetaData, Table, Text, insert

from data.config import PROJECT_ROOT
from data.db import get_engine, session_scope
from data.models import RunStatus, SourceLoad, utcnow
from metrics.periods import add_months, fiscal_year_start
from metrics.spec import ColumnSpec, ColumnType, LoadFormat, SourceSpec, Transform

logger = logging.getLogger(__name__)

NULLS = frozenset({"", "NA", "N/A", "NULL", "null", "NaN"})
ROW_NUMBER_COLUMN = "source_line"
SQL_TYPES = {ColumnType.TEXT: Text, ColumnType.INTEGER: Integer, ColumnType.FLOAT: Float,
             ColumnType.DATE: Date, ColumnType.DATETIME: DateTime}
BATCH = 5000
EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how Excel's XML writes a character such as a carriage return
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Text as people wrote it: Excel escapes (``_x000D_``) decoded, line ends made plain, control characters
    dropped, spaces trimmed at the ends of lines and of the text, and no more than one blank line in a row."""
    text = EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def source_engine(source: SourceSpec) -> Engine:
    """The engine of the database holding ``source`` (the value store's own by default)."""
    if source.connection == "default":
        return get_engine()
    return get_engine(os.path.expandvars(source.connection))


def source_table(source: SourceSpec, metadata: MetaData | None = None) -> Table:
    """The table declared by ``source``, plus the file line each row came from; its time column is indexed
    (the refresh reads where the data ends from it)."""
    columns: list[Column[Any]] = [Column(c.name, SQL_TYPES[c.type], nullable=not c.required) for c in source.columns]
    return Table(source.table, metadata or MetaData(), Column(ROW_NUMBER_COLUMN, Integer), *columns,
                 Index(f"ix_{source.table}_time"[:63], source.time_column))


class RowRejected(ValueError):
    pass


@dataclass
class LoadReport:
    source_id: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _parse(column: ColumnSpec, raw: str | None, tz: ZoneInfo) -> Any:
    text = raw
    if text is not None and column.type is ColumnType.TEXT:
        text = clean_text(text)
    elif text is not None and Transform.STRIP in column.transform:
        text = text.strip()
    if text is None or text.strip() in NULLS:
        if column.required:
            raise RowRejected(f"{column.name} is empty")
        return None
    try:
        if column.type is ColumnType.TEXT:
            if Transform.UPPER in column.transform:
                text = text.upper()
            if Transform.TITLE in column.transform:
                text = text.title()
            return text
        if column.type is ColumnType.INTEGER:
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if column.type is ColumnType.FLOAT:
            return float(text)
        moment = (dt.datetime.strptime(text.strip(), column.datetime_format) if column.datetime_format
                  else dt.datetime.fromisoformat(text.strip()))
        if moment.tzinfo is not None:
            moment = moment.astimezone(tz).replace(tzinfo=None)
        return moment.date() if column.type is ColumnType.DATE else moment
    except ValueError:
        expected = {ColumnType.INTEGER: "a whole number", ColumnType.FLOAT: "a number",
                    ColumnType.DATE: "a date", ColumnType.DATETIME: "a date and time"}[column.type]
        fmt = f" in format {column.datetime_format}" if column.datetime_format else ""
        raise RowRejected(f"{column.name} {text!r} is not {expected}{fmt}") from None


def _open(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with _open(path) as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            yield reader.line_num, record


def _beacon_records(path: Path, fy_start_month: int) -> Iterator[tuple[int, dict[str, str]]]:
    """Reshape the City's wide measure_actuals rows into one record per measure and period."""
    for line, row in _csv_records(path):
        if not (row.get("fiscal_year") or "").strip().isdigit():
            yield line, {"measure_id": row.get("measure_id", ""), "fiscal_year": row.get("fiscal_year", "")}
            continue
        year = int(row["fiscal_year"])
        start = fiscal_year_start(year, fy_start_month)
        for quarter in range(1, 5):
            if (row.get(f"q{quarter}_value") or "").strip():
                yield line, {"measure_id": row["measure_id"], "fiscal_year": row["fiscal_year"],
                             "period": f"Q{quarter}", "grain": "fiscal_quarter",
                             "period_start": add_months(start, 3 * (quarter - 1)).isoformat(),
                             "value": row[f"q{quarter}_value"], "note": row.get(f"q{quarter}_notes", "")}
        if (row.get("annual_actual") or "").strip():
            yield line, {"measure_id": row["measure_id"], "fiscal_year": row["fiscal_year"], "period": "FY",
                         "grain": "fiscal_year", "period_start": start.isoformat(),
                         "value": row["annual_actual"], "note": row.get("annual_actual_notes", "")}


def load_source(source: SourceSpec, *, fy_start_month: int, timezone: str,
                progress: Callable[[str], None] = logger.info) -> LoadReport:
    """Replace ``source``'s table with the typed rows of its load file; record the load."""
    if source.load is None:
        raise ValueError(f"source '{source.id}' declares no load file")
    path = PROJECT_ROOT / source.load.file
    report = LoadReport(source.id, source.load.file)
    with session_scope() as session:
        record = SourceLoad(source_id=source.id, file=source.load.file)
        session.add(record)
        session.flush()
        load_id = record.id
    try:
        if not path.exists():
            raise FileNotFoundError(f"source '{source.id}': load file {source.load.file} not found")
        records = (_beacon_records(path, fy_start_month) if source.load.format is LoadFormat.BEACON_MEASURE_ACTUALS
                   else _csv_records(path))
        _write(source, _typed_rows(source, records, ZoneInfo(timezone), report), report, progress)
        status, error = RunStatus.SUCCESS, None
    except Exception as exc:  # the load is recorded as failed; the previous rows stay
        status, error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with session_scope() as session:
            load = session.get(SourceLoad, load_id)
            assert load is not None
            load.finished_at, load.status, load.error = utcnow(), status, error
            load.rows_read, load.rows_loaded, load.rows_rejected = (report.rows_read, report.rows_loaded,
                                                                     len(report.rejected))
            load.rejections = json.dumps([{"line": n, "reason": r} for n, r in report.rejected[:500]])
    return report


def _typed_rows(source: SourceSpec, records: Iterator[tuple[int, dict[str, str]]], tz: ZoneInfo,
                report: LoadReport) -> Iterator[dict[str, Any]]:
    for line, record in records:
        report.rows_read += 1
        try:
            row = {c.name: _parse(c, record.get(c.csv or c.name), tz) for c in source.columns}
        except RowRejected as exc:
            report.rejected.append((line, str(exc)))
            continue
        row[ROW_NUMBER_COLUMN] = line
        yield row


def _write(source: SourceSpec, rows: Iterator[dict[str, Any]], report: LoadReport,
           progress: Callable[[str], None]) -> None:
    table = source_table(source)
    with source_engine(source).begin() as conn:
        # Recreated, not altered: the declaration may have changed, and a load replaces every row anyway.
        table.drop(conn, checkfirst=True)
        table.create(conn)
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(insert(table), batch)
                report.rows_loaded += len(batch)
                batch = []
                progress(f"  {source.id}: {report.rows_loaded:,} rows")
        if batch:
            conn.execute(insert(table), batch)
            report.rows_loaded += len(batch)
