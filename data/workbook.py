"""Spreadsheets in and out of a data call: an agency's workbook (xlsx or csv) read into numbered rows of raw cells,
and the template an agency fills (its measures due, with their targets and last figures).

Cells stay as the spreadsheet holds them (numbers as numbers, text as text); what they mean is decided by
:mod:`metrics.typed_figures`. Reading streams the file and stops at a size any agency's call fits in, so a
hostile file cannot exhaust the server.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

# openpyxl (with NumPy) is imported where a workbook is read or written: a tenth of a second every process start
# would otherwise pay, for pages that never touch a workbook.

MAX_ROWS = 5000  # per sheet
MAX_SHEETS = 20
MAX_COLUMNS = 60
Cell = str | int | float | None


class WorkbookError(ValueError):
    """The file cannot be read as a workbook at all; the message says why."""


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: tuple[tuple[int, tuple[Cell, ...]], ...]  # (row number as the spreadsheet shows it, cells)
    truncated: bool = False  # more rows than MAX_ROWS: the rest was not read


def read_workbook(filename: str, content: bytes) -> list[Sheet]:
    """The sheets of an ``.xlsx`` file, or the one sheet of a ``.csv`` file."""
    name = filename.lower()
    if name.endswith(".csv"):
        return [_csv_sheet(filename, content)]
    if name.endswith((".xlsx", ".xlsm")):
        return _xlsx_sheets(content)
    if name.endswith(".xls"):
        raise WorkbookError(f"{filename}: the old Excel format (.xls) is not read; save it as .xlsx or .csv")
    raise WorkbookError(f"{filename}: upload an Excel workbook (.xlsx) or a CSV file")


def _csv_sheet(filename: str, content: bytes) -> Sheet:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly every byte
        raise WorkbookError(f"{filename}: cannot be read as text (save it as CSV UTF-8)")
    rows: list[tuple[int, tuple[Cell, ...]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                return Sheet(filename, tuple(rows), truncated=True)
            rows.append((reader.line_num, tuple(cell or None for cell in row[:MAX_COLUMNS])))
    except csv.Error as exc:
        raise WorkbookError(f"{filename}: line {reader.line_num} cannot be read as CSV ({exc})") from None
    return Sheet(filename, tuple(rows))


def _xlsx_sheets(content: bytes) -> list[Sheet]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise WorkbookError(f"the file is not a readable Excel workbook ({type(exc).__name__})") from None
    sheets = []
    try:
        for worksheet in book.worksheets[:MAX_SHEETS]:
            rows: list[tuple[int, tuple[Cell, ...]]] = []
            truncated = False
            for number, values in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                if number > MAX_ROWS:
                    truncated = True
                    break
                rows.append((number, tuple(_cell(v) for v in values)))
            sheets.append(Sheet(worksheet.title, tuple(rows), truncated))
    finally:
        book.close()
    return sheets


def _writable(value: Cell) -> Cell:
    """Text without the control characters a worksheet cannot hold (a pasted note may carry them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)  # dates and the like: text, refused where a figure was wanted


@dataclass(frozen=True)
class TemplateRow:
    key: str
    title: str
    agency: str
    unit: str
    target: str
    last: str
    value: Cell
    numerator: Cell
    denominator: Cell
    note: str | None
    prior_note: str | None
    publishing: str  # what the publish gate still needs, in words ("" when nothing)


TEMPLATE_COLUMNS = ("Measure ID", "Measure", "Agency", "Unit", "Target", "Last published", "Value", "Numerator",
                    "Denominator", "Note", "Prior year note", "Before it can be published")
INSTRUCTIONS = ("Fill in Value (and Numerator and Denominator for a percent, if you have them) and a Note where the "
                "figure misses its target or moves sharply. Percent: 75%, 0.75 or 75 all mean 75% (1 is 100%; one "
                "percent is 1%). Leave a cell empty when there is no figure yet; do not type N/A or TBD. Where the "
                "last column asks for it, write the Prior year note: the note on the prior year's actual. Other "
                "columns are for reference.")


def template(title: str, rows: Sequence[TemplateRow]) -> bytes:
    """The agency's workbook for a data call: instructions, then one row per measure due."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Figures"
    sheet.append([title])
    sheet.append([INSTRUCTIONS])
    sheet.append(list(TEMPLATE_COLUMNS))
    for row in rows:
        sheet.append([_writable(cell) for cell in (row.key, row.title, row.agency, row.unit, row.target, row.last,
                                                   row.value, row.numerator, row.denominator, row.note,
                                                   row.prior_note, row.publishing)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: a note starting with "=" is never a formula
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells("A2:L2")
    sheet.row_dimensions[2].height = 48
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
    for column, width in zip("ABCDEFGHIJKL", (12, 60, 28, 10, 12, 16, 12, 12, 12, 60, 40, 36), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
