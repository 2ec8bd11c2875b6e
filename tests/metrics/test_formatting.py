"""Values read the way residents expect; percent is stored as a 0–1 fraction."""

from __future__ import annotations

import pytest

from metrics.formatting import format_change, format_target, format_value
from metrics.spec import FormatType


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


def test_counts_and_rates_say_their_unit() -> None:
    assert format_value(1.42, FormatType.COUNT, "in millions") == "1.42 in millions"
    assert format_value(2.5, FormatType.RATE, "per 100 miles") == "2.5 per 100 miles"
    assert format_value(0.5, FormatType.PERCENT, "in millions") == "50%"


@pytest.mark.parametrize(("now", "before", "fmt", "words"), [
    (0.833, 0.813, FormatType.PERCENT, "+2 points"), (0.7, 0.75, FormatType.PERCENT, "−5 points"),
    (1590, 1500, FormatType.COUNT, "+6%"), (22, 29, FormatType.COUNT, "−24%"), (100, 100.2, None, "no change"),
    (5, 0, FormatType.COUNT, "+5"), (0, 0, FormatType.COUNT, "no change")])
def test_change_reads_as_points_or_percent(now: float, before: float, fmt: FormatType | None, words: str) -> None:
    assert format_change(now, before, fmt) == words


@pytest.mark.parametrize(("value", "fmt", "text"), [
    (416.6667, FormatType.COUNT, "417"), (5000 / 12, None, "417"), (0.5, FormatType.COUNT, "0.5"),
    (2.25, FormatType.COUNT, "2.2"), (0.9512, FormatType.PERCENT, "95.1%"), (41.666, FormatType.DAYS, "41.7 days")])
def test_targets_read_as_they_are_set(value: float, fmt: FormatType | None, text: str) -> None:
    assert format_target(value, fmt) == text
