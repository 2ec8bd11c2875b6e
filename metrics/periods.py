"""Periods: calendar and fiscal months, quarters and years, with a configurable fiscal-year start month.

Fiscal years are named by the calendar year they end in: with a July start, FY2026 runs from
2025-07-01 to 2026-06-30, and FY2026 Q1 is July to September 2025.
"""

from __future__ import annotations

import datetime as dt
import functools

from metrics.spec import Frequency, Grain

MONTHS_IN = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12, Grain.FISCAL_QUARTER: 3, Grain.FISCAL_YEAR: 12}
FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.SEMIANNUAL: 6, Frequency.ANNUAL: 12}
FREQUENCY_DAYS = {Frequency.DAILY: 1, Frequency.WEEKLY: 7}


@functools.lru_cache(maxsize=65536)
def add_months(day: dt.date, months: int) -> dt.date:
    """First-of-month arithmetic: ``day`` must be the first of a month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year(day: dt.date, start_month: int) -> int:
    """The fiscal year containing ``day`` (named by the year it ends in)."""
    if start_month == 1:
        return day.year
    return day.year + 1 if day.month >= start_month else day.year


def fiscal_year_start(year: int, start_month: int) -> dt.date:
    return dt.date(year if start_month == 1 else year - 1, start_month, 1)


def fiscal_year_end(year: int, start_month: int) -> dt.date:
    return add_months(fiscal_year_start(year, start_month), 12) - dt.timedelta(days=1)


def fiscal_quarter(day: dt.date, start_month: int) -> int:
    months_in = (day.month - start_month) % 12
    return months_in // 3 + 1


@functools.lru_cache(maxsize=65536)  # a refresh asks it for the same few hundred months a million times
def period_start(day: dt.date, grain: Grain, start_month: int) -> dt.date:
    """Start of the ``grain`` period containing ``day``."""
    month = dt.date(day.year, day.month, 1)
    if grain is Grain.MONTH:
        return month
    if grain is Grain.QUARTER:
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if grain is Grain.YEAR:
        return dt.date(day.year, 1, 1)
    fy_start = fiscal_year_start(fiscal_year(day, start_month), start_month)
    if grain is Grain.FISCAL_YEAR:
        return fy_start
    return add_months(fy_start, (fiscal_quarter(day, start_month) - 1) * 3)


@functools.lru_cache(maxsize=65536)
def period_end(start: dt.date, grain: Grain) -> dt.date:
    """Last day of the period that starts on ``start``."""
    return add_months(start, MONTHS_IN[grain]) - dt.timedelta(days=1)


def period_label(start: dt.date, grain: Grain, start_month: int) -> str:
    """Human label: ``Oct 2019``, ``2019 Q4``, ``2019``, ``FY2020 Q2``, ``FY2020``."""
    if grain is Grain.MONTH:
        return start.strftime("%b %Y")
    if grain is Grain.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if grain is Grain.YEAR:
        return str(start.year)
    year = fiscal_year(start, start_month)
    if grain is Grain.FISCAL_YEAR:
        return f"FY{year}"
    return f"FY{year} Q{fiscal_quarter(start, start_month)}"


def next_period_end(data_through: dt.date, frequency: Frequency) -> dt.date:
    """When the period after the one ending ``data_through`` ends."""
    if frequency in FREQUENCY_DAYS:
        return data_through + dt.timedelta(days=FREQUENCY_DAYS[frequency])
    first_after = data_through + dt.timedelta(days=1)
    first_of_month = dt.date(first_after.year, first_after.month, 1)
    return add_months(first_of_month, FREQUENCY_MONTHS[frequency]) - dt.timedelta(days=1)
