"""One cell of a source file typed by its column: null markers, finite numbers that fit, and the time rule.

The time rule: a timestamp without an offset is the city's wall-clock time. A timestamp with an offset is
converted to the city's time zone, except when it is midnight in its own offset: that is a date written with
an offset (``2024-07-01T00:00:00+00``), and it stays on the day it names. A ``date`` column always keeps the
day as written. So a date never moves to another day by accident.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from metrics.spec import ColumnSpec, ColumnType, Transform

NULLS = frozenset({"", "na", "n/a", "null", "nan"})  # compared case-insensitively
BIGINT = 2**63  # integers are stored as 64-bit
EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how Excel's XML writes a character such as a carriage return
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
SHORT_OFFSET = re.compile(r"([+-]\d\d)$")  # "+00": an offset in hours only, which strptime's %z cannot read
EXPECTED = {ColumnType.INTEGER: "a whole number", ColumnType.FLOAT: "a number",
            ColumnType.DATE: "a date", ColumnType.DATETIME: "a date and time"}


class RowRejected(Exception):
    """A cell (or the row's shape) that cannot be typed; ``problem`` names the kind without the value."""

    def __init__(self, column: str, problem: str, value: str | None = None) -> None:
        self.column, self.problem = column, problem
        shown = f" {_shorten(value)!r}" if value is not None else ""
        super().__init__(f"{column}{shown} {problem}")

    @property
    def kind(self) -> str:
        return f"{self.column} {self.problem}"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_text(text: str) -> str:
    """Text as people wrote it: Excel escapes (``_x000D_``) decoded, line ends made plain, control characters
    dropped, spaces trimmed at the ends of lines and of the text, and no more than one blank line in a row."""
    text = EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def parse_cell(column: ColumnSpec, raw: str | None, tz: ZoneInfo) -> Any:
    """The typed value of one cell, or :class:`RowRejected` saying why the row cannot be kept."""
    if raw is not None and "\x00" in raw:
        raise RowRejected(column.name, "contains a NUL character (a damaged or binary file?)")
    text = raw
    if text is not None and column.type is ColumnType.TEXT:
        text = clean_text(text)
    elif text is not None and Transform.STRIP in column.transform:
        text = text.strip()
    if text is None or text.strip().lower() in NULLS:
        if column.required:
            raise RowRejected(column.name, "is empty")
        return None
    if column.type is ColumnType.TEXT:
        if Transform.UPPER in column.transform:
            text = text.upper()
        if Transform.TITLE in column.transform:
            text = text.title()
        return text
    text = text.strip()
    try:
        if column.type is ColumnType.INTEGER:
            return _integer(column, text)
        if column.type is ColumnType.FLOAT:
            return _finite(column, text)
        return _moment(column, text, tz)
    except ValueError:
        fmt = f" in format {column.datetime_format}" if column.datetime_format else ""
        raise RowRejected(column.name, f"is not {EXPECTED[column.type]}{fmt}", text) from None


def _finite(column: ColumnSpec, text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise RowRejected(column.name, "is not a finite number", text)
    return number


def _integer(column: ColumnSpec, text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        real = _finite(column, text)
        if not real.is_integer():
            raise
        number = int(real)
    if not -BIGINT <= number < BIGINT:
        raise RowRejected(column.name, "is out of range for a whole number (64 bits)", text)
    return number


def _moment(column: ColumnSpec, text: str, tz: ZoneInfo) -> dt.date | dt.datetime:
    fmt = column.datetime_format
    if fmt:
        if "%z" in fmt:
            text = SHORT_OFFSET.sub(r"\g<1>00", text)
        moment = dt.datetime.strptime(text, fmt)
    else:
        moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        if column.type is ColumnType.DATE or moment.time() == dt.time():
            moment = moment.replace(tzinfo=None)  # a date written with an offset keeps its day
        else:
            moment = moment.astimezone(tz).replace(tzinfo=None)
    return moment.date() if column.type is ColumnType.DATE else moment
