"""Source tables: their SQLAlchemy shape from the registry, and the all-or-nothing load that fills them.

A load reads the whole file into a new table and swaps it in within one transaction, so running it twice gives
the same table (a data call source, which agencies report into, only gains the figures it lacks), and any
failure (file, encoding, header, more rejected rows than the source tolerates) leaves the previous table
untouched and is recorded as a failed load. A row with a bad cell is rejected with its line and reason; every
other row is kept. Cells are typed by :mod:`data.cells`, files read by :mod:`data.source_files`.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Double,
    Engine,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    insert,
    inspect,
    literal,
    select,
)

from data.areas import AreaFinder
from data.cells import RowRejected, parse_cell
from data.db import get_engine, session_scope
from data.errors import describe
from data.models import RunStatus, SourceLoad, utcnow
from data.source_files import LoadError, Record, read_records
from metrics.columns import LINE
from metrics.spec import ColumnType, GeographySpec, SourceSpec

logger = logging.getLogger(__name__)

ROW_NUMBER_COLUMN = LINE
SQL_TYPES = {ColumnType.TEXT: Text, ColumnType.INTEGER: BigInteger, ColumnType.FLOAT: Double,  # 8 bytes everywhere
             ColumnType.DATE: Date, ColumnType.DATETIME: DateTime}
BATCH = 5000
KEPT_REJECTIONS = 500  # examples kept in the load record; every rejection is counted


def source_engine(source: SourceSpec) -> Engine:
    """The engine of the database holding ``source`` (the value store's own by default)."""
    if source.connection == "default":
        return get_engine()
    return get_engine(os.path.expandvars(source.connection))


def source_table(source: SourceSpec, metadata: MetaData | None = None, *, name: str | None = None) -> Table:
    """The table declared by ``source``, plus the file line each row came from; its time column is indexed
    (the refresh reads where the data ends from it). ``name`` gives the same shape under another name, unindexed."""
    columns: list[Column[Any]] = [Column(c.name, SQL_TYPES[c.type], nullable=not c.required) for c in source.columns]
    index = [] if name else [Index(f"ix_{source.table}_time"[:63], source.time_column)]
    return Table(name or source.table, metadata or MetaData(), Column(ROW_NUMBER_COLUMN, Integer), *columns, *index)


def staging_name(source: SourceSpec) -> str:
    return f"{source.table[:50]}__loading"


@dataclass
class LoadReport:
    source_id: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # the first KEPT_REJECTIONS, with line and reason
    reasons: Counter[str] = field(default_factory=Counter)  # every rejection counted by kind ("district is empty")
    kept: int = 0  # a data call source: figures already in the table (reported in the product), kept over the file's


def load_source(source: SourceSpec, *, fy_start_month: int, timezone: str,
                geographies: Mapping[str, GeographySpec] | None = None,
                progress: Callable[[str], None] = logger.info) -> LoadReport:
    """Replace ``source``'s table with the typed rows of its load file, all or nothing; record the load.

    ``geographies`` (the city's) place the rows of columns declared with ``locate``. Raises :class:`LoadError`
    (or the database's error) when the load fails; the previous table is kept.
    """
    if source.load is None:
        raise ValueError(f"source '{source.id}' declares no load file")
    report = LoadReport(source.id, source.load.file)
    with session_scope() as session:
        record = SourceLoad(source_id=source.id, file=source.load.file)
        session.add(record)
        session.flush()
        load_id = record.id
    engine = source_engine(source)
    status, error = RunStatus.FAILED, "interrupted"  # until the load says otherwise
    try:
        records = read_records(source, source.load.path, fy_start_month)
        finders = {c.name: AreaFinder((geographies or {})[c.locate.geography])
                   for c in source.columns if c.locate}
        rows = _typed_rows(source, records, ZoneInfo(timezone), finders, report)
        _fill_staging(source, engine, rows, report, progress)
        _check_rejections(source, report)
        if source.data_call:
            _seed(source, engine, report)
        else:
            _swap(source, engine)
        status, error = RunStatus.SUCCESS, ""
    except Exception as exc:
        error = str(exc) if isinstance(exc, LoadError) else describe(exc)
        source_table(source, name=staging_name(source)).drop(engine, checkfirst=True)
        raise
    finally:
        with session_scope() as session:
            load = session.get(SourceLoad, load_id)
            assert load is not None
            load.finished_at, load.status, load.error = utcnow(), status, error or None
            load.rows_read, load.rows_loaded, load.rows_rejected = (report.rows_read, report.rows_loaded,
                                                                     report.rows_rejected)
            load.rejections = json.dumps([{"line": n, "reason": r} for n, r in report.rejected])
    return report


def _typed_rows(source: SourceSpec, records: Iterator[Record], tz: ZoneInfo, finders: dict[str, AreaFinder],
                report: LoadReport) -> Iterator[dict[str, Any]]:
    read = [c for c in source.columns if c.locate is None]
    located = [(c.name, c.locate.point, finders[c.name]) for c in source.columns if c.locate]
    for line, record in records:
        report.rows_read += 1
        try:
            if isinstance(record, RowRejected):
                raise record
            row = {c.name: parse_cell(c, record.get(c.csv or c.name), tz) for c in read}
            row |= {name: finder.area_of(row[point]) for name, point, finder in located}
        except RowRejected as exc:
            report.rows_rejected += 1
            report.reasons[exc.kind] += 1
            if len(report.rejected) < KEPT_REJECTIONS:
                report.rejected.append((line, str(exc)))
            continue
        row[ROW_NUMBER_COLUMN] = line
        yield row


def _fill_staging(source: SourceSpec, engine: Engine, rows: Iterator[dict[str, Any]], report: LoadReport,
                  progress: Callable[[str], None]) -> None:
    """Every typed row into a new table beside the live one (recreated: the declaration may have changed)."""
    staging = source_table(source, name=staging_name(source))
    staging.drop(engine, checkfirst=True)  # left by a load that was killed
    staging.create(engine)
    with engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(insert(staging), batch)
                report.rows_loaded += len(batch)
                batch = []
                progress(f"  {source.id}: {report.rows_loaded:,} rows")
        if batch:
            conn.execute(insert(staging), batch)
            report.rows_loaded += len(batch)


def _check_rejections(source: SourceSpec, report: LoadReport) -> None:
    assert source.load is not None
    if report.rows_read == 0:
        raise LoadError(f"{source.load.file} has a header but no rows; the previous table is kept")
    tolerated = source.load.max_rejected_share
    if report.rows_rejected > tolerated * report.rows_read:
        kinds = "; ".join(f"{n:,} × {kind}" for kind, n in report.reasons.most_common(3))
        first = report.rejected[0]
        raise LoadError(f"{report.rows_rejected:,} of {report.rows_read:,} rows rejected "
                        f"({report.rows_rejected / report.rows_read:.1%}), more than the {tolerated:.1%} this source "
                        f"tolerates (load.max_rejected_share); the previous table is kept. Most common: {kinds}. "
                        f"First: {source.load.file}:{first[0]}: {first[1]}", report.rejected)


def _swap(source: SourceSpec, engine: Engine) -> None:
    """The new table replaces the live one in one transaction (readers see the old rows or the new, never none)."""
    with engine.connect() as conn:
        _begin(conn)
        quote = conn.dialect.identifier_preparer.quote
        source_table(source).drop(conn, checkfirst=True)
        conn.exec_driver_sql(f"ALTER TABLE {quote(staging_name(source))} RENAME TO {quote(source.table)}")
        for index in source_table(source).indexes:
            index.create(conn)
        conn.commit()


def _seed(source: SourceSpec, engine: Engine, report: LoadReport) -> None:
    """A data call source keeps what agencies reported in the product: the file adds only the figures (measure,
    grain, period, place) the table lacks, in one transaction."""
    assert source.reported is not None
    live, staging = source_table(source), source_table(source, name=staging_name(source))
    keys = [source.reported.key_column, source.reported.grain_column, source.time_column, *source.geographies.values()]
    with engine.connect() as conn:
        _begin(conn)
        live.create(conn, checkfirst=True)
        present = {c["name"] for c in inspect(conn).get_columns(source.table)}
        for column in live.columns:
            if column.name not in present:  # declared since the table was made: added, empty
                kind = column.type.compile(conn.dialect)
                quote = conn.dialect.identifier_preparer.quote
                conn.exec_driver_sql(f"ALTER TABLE {quote(source.table)} ADD COLUMN {quote(column.name)} {kind}")
        exists = select(literal(1)).where(*(live.c[k].is_not_distinct_from(staging.c[k]) for k in keys))
        names = [c.name for c in live.columns]
        held = select(func.count()).select_from(live)
        before = conn.execute(held).scalar_one()  # an INSERT … SELECT's rowcount is not reported by every driver
        conn.execute(insert(live).from_select(names, select(*(staging.c[n] for n in names)).where(~exists.exists())))
        added = conn.execute(held).scalar_one() - before
        staging.drop(conn)
        conn.commit()
    report.kept, report.rows_loaded = report.rows_loaded - added, added


def _begin(conn: Connection) -> None:
    """Python's sqlite3 commits table changes at once unless a transaction was begun explicitly."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
