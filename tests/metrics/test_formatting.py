"""Values read the way residents expect; percent is stored as a 0–1 fraction."""

from __future__ import annotations

import datetime as dt

import pytest

from data.store import ValueRow
from metrics.formatting import format_value
from metrics.refresh import scale_warnings
from metrics.spec import FormatType, MetricSpec


@pytest.mark.parametrize(("value", "fmt", "text"), [
    (0.712, FormatType.PERCENT, "71.2%"),
    (1.0, FormatType.PERCENT, "100%"),
    (0.0, FormatType.PERCENT, "0%"),
    (1_250_000, FormatType.CURRENCY, "$1.25M"),
    (838_373, FormatType.CURRENCY, "$838,373"),
    (187_224, FormatType.COUNT, "187,224"),
    (6.7, FormatType.COUNT, "6.7"),
    (1, FormatType.DAYS, "1 day"),
    (3.25, FormatType.DAYS, "3.2 days"),
    (None, FormatType.COUNT, "—"),
])
def test_format_value(value: float | None, fmt: FormatType, text: str) -> None:
    assert format_value(value, fmt) == text


def test_percent_values_outside_zero_one_are_flagged_not_dropped() -> None:
    metric = MetricSpec.model_validate({
        "id": "m", "title": "Storage rate", "definition": "A rate stored as a percent.", "measure_type": "output",
        "agency": "A", "format": "percent", "frequency": "annual",
        "computation": {"kind": "reported", "source": "s", "key": "548"}})
    rows = [ValueRow("fiscal_year", dt.date(2022, 7, 1), "city", "", 1.1),
            ValueRow("fiscal_year", dt.date(2023, 7, 1), "city", "", 0.9)]
    assert scale_warnings(metric, rows) == ["fiscal_year 2022-07-01: value 1.1 is outside 0–1 for a percent metric"]
