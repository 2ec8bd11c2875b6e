"""Figures as people type them: one reading of percent, separators understood, placeholders refused with why."""

from __future__ import annotations

import pytest

from metrics.spec import FormatType
from metrics.typed_figures import FigureError, exact_text, read_figure

PERCENT, COUNT, MONEY, DAYS = FormatType.PERCENT, FormatType.COUNT, FormatType.CURRENCY, FormatType.DAYS


@pytest.mark.parametrize(("typed", "fmt", "value", "shown"), [
    ("75%", PERCENT, 0.75, "75%"),
    ("0.75", PERCENT, 0.75, "75%"),
    ("75", PERCENT, 0.75, "75%"),
    (75, PERCENT, 0.75, "75%"),  # a spreadsheet's number
    (0.75, PERCENT, 0.75, "75%"),  # a spreadsheet's percent-formatted cell holds the fraction
    ("1", PERCENT, 1.0, "100%"),
    ("1%", PERCENT, 0.01, "1%"),
    ("120%", PERCENT, 1.2, "120%"),
    ("-5", PERCENT, -0.05, "-5%"),
    ("12.345%", PERCENT, 0.12345, "12.345%"),
    ("1,250", COUNT, 1250, "1,250"),
    (" 12,500.5 ", COUNT, 12500.5, "12,500.5"),
    ("(1,200)", MONEY, -1200, "-$1,200"),
    ("$3,400.50", MONEY, 3400.5, "$3,400.50"),
    ("3.25", DAYS, 3.25, "3.25 days"),
    ("45 days", DAYS, 45, "45 days"),
    ("1 day", DAYS, 1, "1 day"),
    ("", COUNT, None, ""),
    ("   ", PERCENT, None, ""),
    (None, PERCENT, None, ""),
])
def test_figures_read_one_way_and_show_back_exactly(typed: object, fmt: FormatType, value: float | None,
                                                     shown: str) -> None:
    figure = read_figure(typed, fmt)
    assert (figure.value, figure.shown) == (pytest.approx(value) if value is not None else None, shown)


@pytest.mark.parametrize(("typed", "fmt", "message"), [
    ("N/A", PERCENT, "'N/A' is not a figure: leave it empty"),
    ("TBD", COUNT, "'TBD' is not a figure"),
    ("#DIV/0!", COUNT, "is not a figure"),
    ("1,23", COUNT, "use a point for decimals"),
    ("12 500", COUNT, "'12 500' is not a number"),
    ("75%", COUNT, "not a percent"),
    ("$75", PERCENT, "not money"),
    ("inf", COUNT, "not a number"),
    (float("inf"), COUNT, "not a finite number"),
    (True, COUNT, "not a figure"),
])
def test_what_cannot_be_read_says_why(typed: object, fmt: FormatType, message: str) -> None:
    with pytest.raises(FigureError, match=message):
        read_figure(typed, fmt)


def test_a_reading_that_differs_from_the_typing_is_marked_so_people_see_it() -> None:
    assert read_figure("75", PERCENT).reinterpreted
    assert not read_figure("75%", PERCENT).reinterpreted
    assert not read_figure("12500", COUNT).reinterpreted  # only the separator differs


def test_the_measures_own_unit_after_the_number_is_understood() -> None:
    assert read_figure("45 days", COUNT, "days").value == 45
    assert read_figure("350 tons", COUNT, "tons").value == 350
    with pytest.raises(FigureError, match="not a number"):
        read_figure("350 kg", COUNT, "tons")


def test_exact_text_keeps_what_a_page_would_round() -> None:
    assert exact_text(1_250_000.75, MONEY) == "$1,250,000.75"
    assert exact_text(12.5, COUNT, "tons") == "12.5 tons"
    assert exact_text(1, DAYS) == "1 day"
