"""Status that explains itself: pure functions from a metric's values and targets to a status and a sentence.

Rules (documented in the README):
- *No data* without any value; *stale* when the last refresh failed or newer data is overdue
  (one period plus the city's reporting lag); *informational* without a direction or a target.
- Otherwise the fiscal year to date is compared with the year's target. Flows (quarters add up to the year)
  are judged on trajectory: the target pro-rated to the share of the year covered. Rates and stocks are
  judged on their value. Near target = within 5 percentage points for percents, within 10% otherwise.
- A ratio with fewer than ``MIN_DENOMINATOR`` cases is informational (too few to judge).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from data.store import ValueRow
from metrics.formatting import format_count, format_value
from metrics.periods import (
    fiscal_quarter,
    fiscal_year,
    fiscal_year_end,
    fiscal_year_start,
    next_period_end,
    period_end,
)
from metrics.spec import City, ComputationKind, Direction, FormatType, Frequency, Grain, MetricSpec, PeriodTotal

NEAR_RELATIVE = 0.10
NEAR_PERCENT_POINTS = 0.05
SCORE_CAP = 1.25
MIN_DENOMINATOR = 20
DEFAULT_LAG_DAYS = {Frequency.DAILY: 2, Frequency.WEEKLY: 7, Frequency.MONTHLY: 30, Frequency.QUARTERLY: 60,
                    Frequency.SEMIANNUAL: 90, Frequency.ANNUAL: 180}


class Status(StrEnum):
    ON_TRACK = "on_track"
    NEAR_TARGET = "near_target"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"
    STALE = "stale"  # data older than the metric's frequency allows, or the last refresh failed
    INFORMATIONAL = "informational"  # no direction or no target: shown, not judged

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


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


@dataclass(frozen=True)
class Assessment:
    status: Status
    sentence: str
    rule: str
    value: float | None = None
    target: float | None = None
    expected: float | None = None
    score: float | None = None
    data_through: dt.date | None = None
    judged_as: Status | None = None  # for stale: what the last values would say


def near_band(metric: MetricSpec, scale: float) -> float:
    """How far from the target (or band) still counts as near: 5 points for percents, else 10% of ``scale``."""
    return NEAR_PERCENT_POINTS if metric.format is FormatType.PERCENT else abs(scale) * NEAR_RELATIVE


def year_to_date(metric: MetricSpec, values: list[ValueRow], fy_start: int) -> YearToDate | None:
    """The latest fiscal year's figure so far (citywide values only)."""
    city = [v for v in values if v.geography == "city" and v.value is not None]
    if not city:
        return None
    latest = max(city, key=lambda v: (period_end(v.period_start, Grain(v.grain)), v.grain != "fiscal_year"))
    year = fiscal_year(latest.period_start, fy_start)
    in_year = [v for v in city if fiscal_year(v.period_start, fy_start) == year]
    annual = next((v for v in in_year if v.grain == Grain.FISCAL_YEAR), None)
    parts = sorted((v for v in in_year if v.grain in (Grain.FISCAL_QUARTER, Grain.MONTH)),
                   key=lambda v: v.period_start)
    finest = [v for v in parts if v.grain == Grain.MONTH] or parts or in_year
    through = max(period_end(v.period_start, Grain(v.grain)) for v in finest)
    share = min(1.0, ((through.year - fiscal_year_start(year, fy_start).year) * 12
                      + through.month - fiscal_year_start(year, fy_start).month + 1) / 12)
    if annual is not None and (metric.computation.kind is ComputationKind.COMPUTED or not parts or share >= 1):
        assert annual.value is not None
        complete = share >= 1 or metric.computation.kind is ComputationKind.REPORTED
        label = f"FY{year}" if complete else f"FY{year} through {through:%b %Y}"
        return YearToDate(year, label, annual.value, 1.0 if complete else share,
                          fiscal_year_end(year, fy_start) if complete else through, annual.numerator,
                          annual.denominator)
    quarters = [v for v in parts if v.grain == Grain.FISCAL_QUARTER] or parts
    numbers = [v.value for v in quarters if v.value is not None]
    if metric.total is PeriodTotal.SUM:
        value = sum(numbers)
    elif metric.total is PeriodTotal.LATEST:
        value = numbers[-1]
    else:
        value = sum(numbers) / len(numbers)
    last_q = fiscal_quarter(quarters[-1].period_start, fy_start)
    label = f"FY{year} Q{last_q}" if len(quarters) == 1 else f"FY{year} Q1–Q{last_q}"
    return YearToDate(year, label, value, share, through)


def staleness(metric: MetricSpec, data_through: dt.date, today: dt.date, city: City) -> dt.date | None:
    """The date newer data was due by, if that date has passed; else None."""
    lag = city.reporting_lag_days.get(metric.frequency, DEFAULT_LAG_DAYS[metric.frequency])
    due = next_period_end(data_through, metric.frequency) + dt.timedelta(days=lag)
    return due if today > due else None


def assess(metric: MetricSpec, values: list[ValueRow], *, city: City, today: dt.date,
           last_refresh_failed: dt.datetime | None = None) -> Assessment:
    """The metric's status, with the sentence that explains it."""
    ytd = year_to_date(metric, values, city.fiscal_year_start_month)
    if ytd is None:
        return Assessment(Status.NO_DATA, "No data yet: this measure has no reported or computed values.", "no data")
    judged = _judge(metric, ytd)
    overdue = staleness(metric, ytd.data_through, today, city)
    if last_refresh_failed is None and overdue is None:
        return judged
    reason = (f"the last refresh failed on {last_refresh_failed:%Y-%m-%d}, so the values shown are the last good ones"
              if last_refresh_failed else
              f"newer {metric.frequency.value} data was due by {overdue:%Y-%m-%d}")
    sentence = f"Stale: data through {ytd.data_through:%Y-%m-%d}; {reason}. Last reading — {judged.sentence}"
    return Assessment(Status.STALE, sentence, judged.rule, judged.value, judged.target, judged.expected, judged.score,
                      ytd.data_through, judged_as=judged.status)


def _shown(metric: MetricSpec, ytd: YearToDate) -> str:
    text = format_value(ytd.value, metric.format, metric.unit)
    if ytd.numerator is not None and ytd.denominator is not None:
        text += f" ({format_count(ytd.numerator)} of {format_count(ytd.denominator)})"
    return text


def _judge(metric: MetricSpec, ytd: YearToDate) -> Assessment:
    fmt = lambda v: format_value(v, metric.format, metric.unit)  # noqa: E731
    through = f"data through {ytd.data_through:%Y-%m-%d}"
    shown = _shown(metric, ytd)
    target = metric.annual_target(ytd.fiscal_year)
    if metric.direction is Direction.NONE:
        return Assessment(Status.INFORMATIONAL, f"Informational: {shown} in {ytd.label} (no target direction); "
                          f"{through}.", "none", ytd.value, data_through=ytd.data_through)
    if ytd.denominator is not None and ytd.denominator < MIN_DENOMINATOR:
        return Assessment(Status.INFORMATIONAL, f"Informational: {shown} in {ytd.label} is too few cases "
                          f"(under {MIN_DENOMINATOR}) to judge; {through}.", "small numbers", ytd.value,
                          data_through=ytd.data_through)
    if metric.direction is Direction.MAINTAIN and metric.band:
        return _judge_band(metric, ytd, shown, through)
    if target is None:
        return Assessment(Status.INFORMATIONAL, f"Informational: {shown} in {ytd.label}; no FY{ytd.fiscal_year} "
                          f"target set; {through}.", "no target", ytd.value, data_through=ytd.data_through)
    higher = metric.direction is Direction.INCREASE
    trajectory = metric.total is PeriodTotal.SUM and ytd.share_of_year < 1
    goal = target.value * ytd.share_of_year if trajectory else target.value
    percent = metric.format is FormatType.PERCENT
    tolerance = near_band(metric, goal)
    gap = (ytd.value - goal) if higher else (goal - ytd.value)
    status = Status.ON_TRACK if gap >= 0 else Status.NEAR_TARGET if gap >= -tolerance else Status.OFF_TRACK
    better = "higher" if higher else "lower"
    near = "5 percentage points" if percent else "10%"
    if trajectory:
        comparison = (f"{fmt(goal)} expected by now ({ytd.share_of_year:.0%} of the year) for the FY{ytd.fiscal_year}"
                      f" target of {fmt(target.value)}")
    else:
        comparison = f"target {fmt(target.value)}"
    qualifier = "" if status is Status.ON_TRACK else f"; near target means within {near}"
    illustrative = " (illustrative target)" if target.illustrative else ""
    sentence = (f"{status.label}: {shown} in {ytd.label}, {comparison}{illustrative}, {better} is better"
                f"{qualifier}; {through}.")
    return Assessment(status, sentence, "trajectory" if trajectory else "target band", ytd.value, target.value,
                      goal, _score(ytd.value, goal, higher), ytd.data_through)


def _judge_band(metric: MetricSpec, ytd: YearToDate, shown: str, through: str) -> Assessment:
    assert metric.band is not None
    lower, upper = metric.band.lower, metric.band.upper
    fmt = lambda v: format_value(v, metric.format, metric.unit)  # noqa: E731
    tolerance = near_band(metric, upper - lower)
    distance = max(lower - ytd.value, ytd.value - upper, 0.0)
    status = Status.ON_TRACK if distance == 0 else Status.NEAR_TARGET if distance <= tolerance else Status.OFF_TRACK
    score = max(0.0, 1.0 - distance / (upper - lower)) if upper > lower else (1.0 if distance == 0 else 0.0)
    return Assessment(status, f"{status.label}: {shown} in {ytd.label}, to stay between {fmt(lower)} and "
                      f"{fmt(upper)}; {through}.", "maintain band", ytd.value, None, None, score, ytd.data_through)


def _score(value: float, goal: float, higher: bool) -> float:
    """CityScore-style: value / target (inverted when lower is better), capped at ``SCORE_CAP``."""
    if goal <= 0 or (not higher and value <= 0):
        on_track = value >= goal if higher else value <= goal
        return SCORE_CAP if on_track else 0.0
    ratio = value / goal if higher else goal / value
    return max(0.0, min(SCORE_CAP, ratio))
