"""Where a metric stands in its latest fiscal year: the figure so far, the share of the year it covers, and its
label ("FY2026 Q1–Q2"). Values in calendar periods that straddle fiscal years are never mixed into one."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from metrics.aggregations import PeriodTotal
from metrics.periods import (
    MONTHS_IN,
    add_months,
    fiscal_quarter,
    fiscal_year,
    fiscal_year_end,
    fiscal_year_start,
    period_label,
)
from metrics.spec import ComputationKind, Grain, MetricSpec
from metrics.values import CITY, ValueRow, usable


@dataclass(frozen=True)
class YearToDate:
    """Where the metric stands in its latest fiscal year."""

    fiscal_year: int
    label: str
    value: float
    share_of_year: float  # 0–1: how much of the year the value covers
    data_through: dt.date
    numerator: float | None = None
    denominator: float | None = None
    calendar: bool = False  # the latest calendar period (a year from January), not a fiscal year to date
    from_start: bool = True  # the figure runs from the year's start (not when its first periods are held out)



def year_to_date(metric: MetricSpec, values: list[ValueRow], fy_start: int) -> YearToDate | None:
    """The latest fiscal year's figure so far, from the citywide values the quality gate does not hold out."""
    city = [v for v in usable(values) if v.geography == CITY]
    fiscal = [v for v in city if _nests(v.grain, fy_start)]
    if not fiscal:
        return _latest_calendar_period(city, fy_start) if city else None
    city = fiscal
    latest = max(city, key=lambda v: (v.end, v.grain != Grain.FISCAL_YEAR))
    year = fiscal_year(latest.period_start, fy_start)
    in_year = [v for v in city if fiscal_year(v.period_start, fy_start) == year]
    annual = next((v for v in in_year if v.grain == Grain.FISCAL_YEAR), None)
    quarters = sorted((v for v in in_year if v.grain == Grain.FISCAL_QUARTER), key=lambda v: v.period_start)
    months = sorted((v for v in in_year if v.grain == Grain.MONTH), key=lambda v: v.period_start)
    finest = months or quarters
    through = max(v.end for v in (finest or in_year))
    left_out = [v for v in values if v.geography == CITY and v.questionable and v.grain in {p.grain for p in finest}
                and fiscal_year(v.period_start, fy_start) == year and v.end <= through]
    share = max(0.0, min(1.0, (_months_elapsed(fiscal_year_start(year, fy_start), through)
                               - sum(v.months_covered for v in left_out)) / 12))
    if annual is not None and (metric.computation.kind is ComputationKind.COMPUTED or not finest or share >= 1):
        assert annual.value is not None
        complete = share >= 1 or metric.computation.kind is ComputationKind.REPORTED
        label = f"FY{year}" if complete else f"FY{year} through {_day(through)}"
        return YearToDate(year, label, annual.value, 1.0 if complete else share,
                          fiscal_year_end(year, fy_start) if complete else through, annual.numerator,
                          annual.denominator)
    whole_quarters = quarters if quarters and max(v.end for v in quarters) >= through else []
    pieces = whole_quarters or months or quarters or sorted(in_year, key=lambda v: v.period_start)  # calendar: as is
    numbers = [v.value for v in pieces if v.value is not None]
    numerator = denominator = None
    if metric.total is PeriodTotal.SUM:
        value, how = sum(numbers), ""
    elif metric.total is PeriodTotal.LATEST:
        value, how = numbers[-1], ""
    elif all(v.numerator is not None and v.denominator for v in pieces):
        numerator = sum(v.numerator or 0.0 for v in pieces)
        denominator = sum(v.denominator or 0.0 for v in pieces)
        value, how = numerator / denominator, ""
    else:
        value = sum(numbers) / len(numbers)
        how = f" (average of {len(numbers)} {'quarters' if pieces is quarters else 'months'})" if len(numbers) > 1 \
            else ""
    return YearToDate(year, _pieces_label(pieces, year, fy_start, through) + how, value, share, through,
                      numerator, denominator, from_start=pieces[0].period_start <= fiscal_year_start(year, fy_start))


def year_earlier(metric: MetricSpec, values: list[ValueRow], fy_start: int, now: YearToDate) -> YearToDate | None:
    """The same stretch of the fiscal year before ``now`` (Q1–Q3 against Q1–Q3), when its data covers as much."""
    if now.calendar:
        return None
    cutoff = add_months(now.data_through + dt.timedelta(days=1), -12) - dt.timedelta(days=1)
    earlier = [v for v in values if v.end <= cutoff and fiscal_year(v.period_start, fy_start) == now.fiscal_year - 1]
    before = year_to_date(metric, earlier, fy_start)
    if before is None or before.fiscal_year != now.fiscal_year - 1:
        return None
    return before if abs(before.share_of_year - now.share_of_year) <= .02 else None


def period_words(ytd: YearToDate) -> str:
    """"FY2026 Q1–Q3, year to date"; a whole year or a calendar period as it is."""
    return ytd.label + (", year to date" if ytd.share_of_year < 1 and ytd.from_start and not ytd.calendar else "")


@functools.lru_cache(maxsize=64)
def _nests(grain: str, fy_start: int) -> bool:
    return nests_in_fiscal_years(Grain(grain), fy_start)


def nests_in_fiscal_years(grain: Grain, fy_start: int) -> bool:
    """Whether periods of ``grain`` fit inside fiscal years (a calendar year does only when the year starts in
    January; a calendar quarter when it starts on a quarter)."""
    if grain is Grain.YEAR:
        return fy_start == 1
    if grain is Grain.QUARTER:
        return fy_start % 3 == 1
    return True


def _latest_calendar_period(city: list[ValueRow], fy_start: int) -> YearToDate:
    """A metric measured only in calendar periods that straddle fiscal years: its latest period, as it is."""
    latest = max(city, key=lambda v: (v.end, -MONTHS_IN[Grain(v.grain)]))
    through = latest.covered_through or latest.end
    assert latest.value is not None
    return YearToDate(fiscal_year(latest.period_start, fy_start), period_label(latest.period_start,
                      Grain(latest.grain), fy_start), latest.value, 1.0, through, latest.numerator,
                      latest.denominator, calendar=True)


def _months_elapsed(start: dt.date, through: dt.date) -> float:
    """Months from ``start`` (a first of the month) to ``through`` inclusive; a partial month by its days."""
    month = dt.date(through.year, through.month, 1)
    whole = (month.year - start.year) * 12 + month.month - start.month
    return whole + through.day / (add_months(month, 1) - month).days


def _day(day: dt.date) -> str:
    """``Sep 2025`` for a month's last day, else ``Oct 21, 2019``."""
    return f"{day:%b %Y}" if (day + dt.timedelta(days=1)).day == 1 else f"{day:%b} {day.day}, {day.year}"


def _pieces_label(pieces: list[ValueRow], year: int, fy_start: int, through: dt.date) -> str:
    if pieces[0].grain != Grain.FISCAL_QUARTER:
        return f"FY{year} through {_day(through)}"
    numbers = [fiscal_quarter(v.period_start, fy_start) for v in pieces]
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        text = f"FY{year} Q{numbers[0]}" + (f"–Q{numbers[-1]}" if len(numbers) > 1 else "")
    else:
        text = f"FY{year} " + ", ".join(f"Q{n}" for n in numbers)
    return text + (f" through {_day(through)}" if pieces[-1].partial else "")
