"""CitiStat escalation: which measures a session's agenda should take up, and why, in words.

Baltimore's playbook escalates a measure that missed its target two cycles in a row or is projected to
miss by a wide margin; we add measures whose data went stale. The projection is documented beside the
rule: flows (quarters add up to the year) are projected at their pace so far, rates and stocks at their
average; the range is a 90% band from the spread of the periods so far (normal approximation), and needs
at least two periods. "A wide margin" means the projection misses by more than the near-target band and
even the favourable end of the range misses the target.

No reason rests on a value the quality gate holds out, on a period the data only partly covers, or on a
target on another scale than the values: a held-out cycle breaks a streak of misses.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from metrics.aggregations import PeriodTotal
from metrics.formatting import format_value
from metrics.periods import MONTHS_IN, fiscal_year, period_end, period_label
from metrics.quality import trusted
from metrics.spec import Direction, Frequency, Grain, MetricSpec
from metrics.status import Assessment, Status, near_band
from metrics.targets import target_for
from metrics.values import CITY, ValueRow, usable
from metrics.year_to_date import year_to_date

Z90 = 1.645
MIN_PERIODS = 2


class Reason(StrEnum):
    MISSED_TWICE = "missed_twice"  # missed the target in each of the latest two (or more) cycles
    PROJECTED_MISS = "projected_miss"  # projected to miss this fiscal year's target by a wide margin
    STALE = "stale"  # newer data is overdue or the last refresh failed


@dataclass(frozen=True)
class Projection:
    fiscal_year: int
    value: float
    low: float
    high: float
    target: float
    misses_widely: bool


@dataclass(frozen=True)
class Suggestion:
    metric: MetricSpec
    reasons: tuple[Reason, ...]
    explanation: str
    streak: int
    projection: Projection | None


def cycle_grain(metric: MetricSpec, values: Iterable[ValueRow]) -> Grain:
    """The metric's reporting cycle: months for monthly (or faster) measures, else fiscal quarters or years."""
    present = {v.grain for v in values if v.geography == CITY}
    if metric.frequency in (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY) and Grain.MONTH in present:
        return Grain.MONTH
    return Grain.FISCAL_QUARTER if Grain.FISCAL_QUARTER in present else Grain.FISCAL_YEAR


def misses(metric: MetricSpec, value: float, target: float) -> bool:
    if metric.direction is Direction.INCREASE:
        return value < target
    if metric.direction is Direction.DECREASE:
        return value > target
    return False


def _cycle(values: Iterable[ValueRow], grain: Grain) -> list[ValueRow]:
    """The citywide values of one grain, in order; held-out ones included (they break streaks)."""
    return sorted((v for v in values if v.geography == CITY and v.grain == grain), key=lambda v: v.period_start)


def missed_streak(metric: MetricSpec, values: list[ValueRow], fy_start: int
                  ) -> tuple[int, list[tuple[str, float, float]]]:
    """How many of the latest complete, usable cycles in a row missed their target, with (period, value, target).

    Held-out and partial cycles after the last usable one are passed over; one between two misses ends the streak.
    """
    grain = cycle_grain(metric, values)
    cycles = _cycle(values, grain)
    while cycles and (cycles[-1].questionable or cycles[-1].partial or cycles[-1].value is None):
        cycles.pop()
    streak: list[tuple[str, float, float]] = []
    for row in reversed(cycles):
        target = target_for(metric, grain, row.period_start, fy_start)
        if row.questionable or row.partial or row.value is None or target is None \
                or not misses(metric, row.value, target):
            break
        streak.append((period_label(row.period_start, grain, fy_start), row.value, target))
    return len(streak), list(reversed(streak))


def project(metric: MetricSpec, values: list[ValueRow], fy_start: int) -> Projection | None:
    """Year-end projection for the latest fiscal year still under way (None if complete or too few periods)."""
    if metric.direction not in (Direction.INCREASE, Direction.DECREASE):
        return None
    ytd = year_to_date(metric, values, fy_start)
    if ytd is None or ytd.share_of_year >= 1:
        return None
    target = metric.annual_target(ytd.fiscal_year)
    grain = cycle_grain(metric, values)
    parts = [v.value for v in usable(_cycle(values, grain))
             if fiscal_year(v.period_start, fy_start) == ytd.fiscal_year and v.value is not None and not v.partial]
    if target is None or len(parts) < MIN_PERIODS:
        return None
    per_year = 12 // MONTHS_IN[grain]
    remaining = max(per_year - len(parts), 0)
    spread = statistics.stdev(parts)
    if metric.total is PeriodTotal.SUM:
        value = ytd.value / ytd.share_of_year
        half = Z90 * spread * math.sqrt(remaining)
    else:
        value = ytd.value
        half = Z90 * spread * math.sqrt(remaining) / per_year
    tolerance = near_band(metric, target.value)
    if metric.direction is Direction.INCREASE:
        wide = value < target.value - tolerance and value + half < target.value
    else:
        wide = value > target.value + tolerance and value - half > target.value
    return Projection(ytd.fiscal_year, value, value - half, value + half, target.value, wide)


def recent(values: Iterable[ValueRow], since: dt.date | None) -> list[ValueRow]:
    """The values of periods that ended on or after ``since`` (all of them without it)."""
    return [v for v in values if since is None or period_end(v.period_start, Grain(v.grain)) >= since]


def suggest(metrics: Iterable[MetricSpec], values: Mapping[str, list[ValueRow]],
            assessments: Mapping[str, Assessment], fy_start: int, since: dt.date | None = None) -> list[Suggestion]:
    """The measures the rule puts on the agenda, most reasons first. With ``since``, no reason rests on a period
    that ended before it: a measure with no data since then is not suggested."""
    out = []
    for spec in metrics:
        rows = recent(values.get(spec.id, []), since)
        if not rows:
            continue
        metric, _ = trusted(spec, rows)
        fmt = lambda v, m=metric: format_value(v, m.format, m.unit)  # noqa: E731
        reasons, words = [], []
        streak, missed = missed_streak(metric, rows, fy_start)
        if streak >= 2:
            reasons.append(Reason.MISSED_TWICE)
            shown = ", ".join(f"{label} {fmt(v)} vs {fmt(t)}" for label, v, t in missed)
            words.append(f"Missed its target {streak} periods in a row ({shown}).")
        projection = project(metric, rows, fy_start)
        if projection and projection.misses_widely:
            reasons.append(Reason.PROJECTED_MISS)
            words.append(f"Projected to end FY{projection.fiscal_year} at {fmt(projection.value)} (90% range "
                         f"{fmt(projection.low)} to {fmt(projection.high)}) against a target of "
                         f"{fmt(projection.target)}.")
        assessment = assessments.get(metric.id)
        if assessment and assessment.status is Status.STALE:
            reasons.append(Reason.STALE)
            words.append(assessment.sentence.split(". Last reading")[0] + ".")
        if reasons:
            out.append(Suggestion(metric, tuple(reasons), " ".join(words), streak, projection))
    return sorted(out, key=lambda s: (-len(s.reasons), -s.streak, s.metric.title))
