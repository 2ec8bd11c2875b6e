"""Fiscal and calendar periods, especially at the fiscal-year boundary."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.periods import (
    fiscal_quarter,
    fiscal_year,
    fiscal_year_end,
    fiscal_year_start,
    next_period_end,
    period_end,
    period_label,
    period_start,
)
from metrics.spec import Frequency, Grain

JULY = 7


@pytest.mark.parametrize(("day", "year", "quarter"), [
    (dt.date(2025, 6, 30), 2025, 4),
    (dt.date(2025, 7, 1), 2026, 1),
    (dt.date(2025, 9, 30), 2026, 1),
    (dt.date(2025, 10, 1), 2026, 2),
    (dt.date(2025, 12, 31), 2026, 2),
    (dt.date(2026, 1, 1), 2026, 3),
    (dt.date(2026, 4, 1), 2026, 4),
])
def test_fiscal_year_and_quarter_with_july_start(day: dt.date, year: int, quarter: int) -> None:
    assert fiscal_year(day, JULY) == year
    assert fiscal_quarter(day, JULY) == quarter


def test_fiscal_year_bounds() -> None:
    assert fiscal_year_start(2026, JULY) == dt.date(2025, 7, 1)
    assert fiscal_year_end(2026, JULY) == dt.date(2026, 6, 30)
    assert fiscal_year_start(2026, 1) == dt.date(2026, 1, 1)
    assert fiscal_year_end(2026, 10) == dt.date(2026, 9, 30)


@pytest.mark.parametrize(("grain", "start", "label"), [
    (Grain.MONTH, dt.date(2025, 6, 1), "Jun 2025"),
    (Grain.QUARTER, dt.date(2025, 4, 1), "2025 Q2"),
    (Grain.YEAR, dt.date(2025, 1, 1), "2025"),
    (Grain.FISCAL_QUARTER, dt.date(2025, 4, 1), "FY2025 Q4"),
    (Grain.FISCAL_YEAR, dt.date(2024, 7, 1), "FY2025"),
])
def test_last_day_of_fiscal_year_falls_in_each_grain(grain: Grain, start: dt.date, label: str) -> None:
    day = dt.date(2025, 6, 30)
    assert period_start(day, grain, JULY) == start
    assert period_end(start, grain) >= day
    assert period_label(start, grain, JULY) == label


def test_first_day_of_fiscal_year_starts_new_fiscal_periods() -> None:
    day = dt.date(2025, 7, 1)
    assert period_start(day, Grain.FISCAL_YEAR, JULY) == dt.date(2025, 7, 1)
    assert period_label(dt.date(2025, 7, 1), Grain.FISCAL_QUARTER, JULY) == "FY2026 Q1"
    assert period_start(day, Grain.YEAR, JULY) == dt.date(2025, 1, 1)


def test_next_period_end() -> None:
    assert next_period_end(dt.date(2026, 3, 31), Frequency.QUARTERLY) == dt.date(2026, 6, 30)
    assert next_period_end(dt.date(2019, 12, 31), Frequency.MONTHLY) == dt.date(2020, 1, 31)
    assert next_period_end(dt.date(2025, 6, 30), Frequency.ANNUAL) == dt.date(2026, 6, 30)
