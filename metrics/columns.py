"""How source columns are named and typed outside the source file: the line column, and filter values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from metrics.spec import ColumnSpec, ColumnType

LINE = "source_line"  # the file line of each row of a loaded source table


def filter_value(column: ColumnSpec, value: Any) -> Any:
    """A filter's value typed by its column, so every backend compares like with like (``"2014-01-01"`` on a
    date column is a date). Raises ``ValueError`` when the value cannot be of the column's type."""
    if isinstance(value, list):
        return [filter_value(column, v) for v in value]
    if value is None:
        return None
    match column.type:
        case ColumnType.TEXT:
            return str(value)
        case ColumnType.INTEGER:
            number = float(value)
            if isinstance(value, bool) or not number.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return int(number)
        case ColumnType.FLOAT:
            if isinstance(value, bool):
                raise ValueError(f"{value!r} is not a number")
            return float(value)
        case ColumnType.DATE:
            return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) \
                else dt.date.fromisoformat(str(value))
        case ColumnType.DATETIME:
            if isinstance(value, dt.datetime):
                return value
            return dt.datetime.fromisoformat(str(value))
