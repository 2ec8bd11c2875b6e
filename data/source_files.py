"""A source's load file read as numbered records: declared encoding, header checked before the first row.

Errors that concern the whole file (missing, undecodable, a declared header absent) raise :class:`LoadError`
naming the file and line; a record whose field count does not match the header is yielded as a
:class:`RowRejected` so the load can count it and go on.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from data.cells import RowRejected
from metrics.periods import add_months, fiscal_year_start
from metrics.spec import PeriodColumns, SourceSpec

Record = tuple[int, dict[str, str] | RowRejected]  # (line where the record starts, its fields or why not)
QUARTERS = range(1, 5)


class LoadError(Exception):
    """The file cannot be loaded at all; the previous table is kept. ``rejected`` holds the first rejected rows
    (line, reason) when too many were."""

    def __init__(self, message: str, rejected: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.rejected = rejected or []


def read_records(source: SourceSpec, path: Path, fy_start_month: int) -> Iterator[Record]:
    """The file's records as the source's columns expect them (fiscal-period columns reshaped first)."""
    assert source.load is not None
    lines = _decoded_lines(path, source.load.encoding, source.load.file)
    layout = source.load.period_columns
    if layout is not None:
        required = (layout.key, layout.fiscal_year, *(layout.quarter.format(n=n) for n in QUARTERS),
                    *([layout.year] if layout.year else []))
        return _period_records(_csv_records(lines, required, source.load.file), layout, fy_start_month)
    declared = tuple(c.csv or c.name for c in source.columns if c.locate is None)
    return _csv_records(lines, declared, source.load.file)


def _decoded_lines(path: Path, encoding: str, file: str) -> Iterator[str]:
    """Lines of text; a byte the encoding cannot read stops the load with its line number."""
    if not path.exists():
        raise LoadError(f"load file {file} not found")
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding  # a BOM is not part of the header
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    handle: IO[bytes] = gzip.open(path) if path.suffix == ".gz" else path.open("rb")  # type: ignore[assignment]
    line, pending = 1, ""
    with handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            try:
                pending += decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = line + exc.object[: exc.start].count(b"\n")  # ``pending`` holds no line end
                raise LoadError(f"{file}:{bad}: cannot be read as {encoding} (byte 0x{exc.object[exc.start]:02x}); "
                                "declare the file's encoding in the source's load (e.g. encoding: cp1252)") from None
            *complete, pending = pending.split("\n")
            for text in complete:
                yield text + "\n"
            line += len(complete)
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending


def _csv_records(lines: Iterable[str], declared: tuple[str, ...], file: str) -> Iterator[Record]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise LoadError(f"{file} is empty: no header line") from None
    header = [h.strip() for h in header]
    missing = [name for name in dict.fromkeys(declared) if name not in header]
    if missing:
        raise LoadError(_missing_headers(file, missing, header))
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous_end = reader.line_num
            yield start, RowRejected("row", f"cannot be read as CSV ({exc})")
            continue
        previous_end = reader.line_num
        if not fields:
            continue  # a blank line
        if len(fields) != len(header):
            more = "more" if len(fields) > len(header) else "fewer"
            yield start, RowRejected("row", f"has {len(fields)} fields, {more} than the header's {len(header)}")
            continue
        yield start, dict(zip(header, fields, strict=True))


def _missing_headers(file: str, missing: list[str], header: list[str]) -> str:
    parts = []
    for name in missing:
        close = difflib.get_close_matches(name, header, n=1, cutoff=0.6)
        parts.append(f"'{name}'" + (f" (closest: '{close[0]}')" if close else ""))
    found = ", ".join(f"'{h}'" for h in header[:40]) + (" …" if len(header) > 40 else "")
    return (f"{file}:1: the header has no {', '.join(parts)}; headers found: {found}. Fix the column's `csv:` name "
            "in the source's registry entry, or the file's header.")


def _period_records(records: Iterator[Record], layout: PeriodColumns, fy_start_month: int) -> Iterator[Record]:
    """One record per filled period cell of each (key, fiscal year) row."""
    for line, row in records:
        if isinstance(row, RowRejected):
            yield line, row
            continue
        key, year_text = row.get(layout.key, ""), (row.get(layout.fiscal_year) or "").strip()
        if not year_text.isdigit():
            yield line, {layout.key: key, "fiscal_year": year_text}  # rejected by the typed columns, with its line
            continue
        start = fiscal_year_start(int(year_text), fy_start_month)
        cells = [(f"Q{n}", "fiscal_quarter", add_months(start, 3 * (n - 1)), layout.quarter.format(n=n),
                  layout.quarter_note.format(n=n) if layout.quarter_note else None) for n in QUARTERS]
        if layout.year:
            cells.append(("FY", "fiscal_year", start, layout.year, layout.year_note))
        for period, grain, period_start, value, note in cells:
            if (row.get(value) or "").strip():
                yield line, {layout.key: key, "fiscal_year": year_text, "period": period, "grain": grain,
                             "period_start": period_start.isoformat(), "value": row[value],
                             "note": row.get(note, "") if note else ""}
