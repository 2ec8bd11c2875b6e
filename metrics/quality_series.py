"""The quality gate's rules over one place's series: reported figures on another scale, zeros likely not
reported, outliers, and months held out holding out the quarters and years that contain them.

The rules and their defaults are described in :mod:`metrics.quality`, which runs them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator

from metrics.aggregations import PeriodTotal
from metrics.formatting import format_value
from metrics.periods import MONTHS_IN, add_months, fiscal_year, period_end, period_label
from metrics.spec import ComputationKind, FormatType, Grain, MetricSpec
from metrics.values import Flag, QualityRule, ValueRow

MAD_TO_SIGMA = 1.4826
DAYS_IN_YEAR = 366
CORROBORATION = 0.05  # quarters that add up to the agency's annual figure within 5% corroborate one another


def off_scale(metric: MetricSpec, series: list[ValueRow]) -> list[ValueRow]:
    """Reported figures far off the measure's usual size, which its figures and targets together set. For flows
    only too large: a quarter of a flow can hold a tiny share of the year."""
    rule = metric.quality.scale
    if not rule.enabled or metric.format is FormatType.PERCENT \
            or metric.computation.kind is not ComputationKind.REPORTED:
        return series
    sizes = [abs(v.value) for v in series if v.value and not v.questionable] + \
        [abs(t.value) for t in metric.targets if t.value]
    if len(sizes) < 3:
        return series
    usual = statistics.median(sizes)
    out = []
    for row in series:
        times = ratio(abs(row.value), usual) if row.value else 1.0
        small_part = metric.total is PeriodTotal.SUM and abs(row.value or 0) < usual  # a quarter may hold little
        if not row.questionable and not small_part and times >= rule.reference_ratio:
            row = with_flag(row, QualityRule.SCALE, f"{times:,.0f} times off this measure's usual size "
                            f"({fmt(metric, usual)}): probably entered on another scale")
        out.append(row)
    return out


def by_place(rows: Iterable[ValueRow]) -> dict[tuple[str, str], list[ValueRow]]:
    """Rows grouped by place (geography and key): each place's series is judged on its own."""
    places: dict[tuple[str, str], list[ValueRow]] = defaultdict(list)
    for row in rows:
        places[(row.geography, row.geo_key)].append(row)
    return places


def _chronological(series: list[ValueRow]) -> list[ValueRow]:
    return sorted(series, key=lambda v: (period_end(v.period_start, Grain(v.grain)), -MONTHS_IN[Grain(v.grain)]))


def not_reported(metric: MetricSpec, series: list[ValueRow], fy_start: int) -> list[ValueRow]:
    """Agency-reported figures only: a computed zero is a real "none of n", and a missing feed has no row.

    A zero for a whole year, or in a year whose annual figure the agency reported as zero, is the agency's
    word; so are zeros more than a year after the last non-zero figure: a lasting zero is judged, not hidden.
    """
    rule = metric.quality.not_reported
    if not rule.enabled or metric.computation.kind is not ComputationKind.REPORTED:
        return series
    ordered = _chronological(series)
    zero_years = {fiscal_year(v.period_start, fy_start) for v in ordered
                  if v.grain == Grain.FISCAL_YEAR and v.value == 0 and not v.questionable}
    flagged: set[tuple[str, dt.date]] = set()
    out = []
    for index, row in enumerate(ordered):
        if row.value == 0 and not row.questionable and not row.partial and MONTHS_IN[Grain(row.grain)] < 12 \
                and fiscal_year(row.period_start, fy_start) not in zero_years:
            run = list(_run_before(ordered[:index], row, flagged))
            if len(run) >= rule.min_run and _large_enough(metric, row, run, rule.min_count) \
                    and (row.end - run[0].end).days <= DAYS_IN_YEAR:
                flagged.add((row.grain, row.period_start))
                last = f"{fmt(metric, run[0].value)} in {label(run[0], fy_start)}"
                row = with_flag(row, QualityRule.NOT_REPORTED, f"exactly 0 after {len(run)} non-zero values "
                                f"(the last {last}): probably not reported")
        out.append(row)
    return out


def _run_before(earlier: list[ValueRow], row: ValueRow, flagged: set[tuple[str, dt.date]]) -> Iterator[ValueRow]:
    """The non-zero values right before ``row``, latest first, passing over zeros already judged unreported."""
    end = period_end(row.period_start, Grain(row.grain))
    for previous in reversed(earlier):
        if period_end(previous.period_start, Grain(previous.grain)) >= end:
            continue
        if (previous.grain, previous.period_start) in flagged or previous.questionable:
            continue
        if not previous.value:
            return
        yield previous


def _large_enough(metric: MetricSpec, row: ValueRow, run: list[ValueRow], min_count: float) -> bool:
    """For counts, a zero is implausible only after large enough counts (small ones often fall to zero)."""
    if metric.format is not FormatType.COUNT:
        return True
    same_grain = [abs(v.value) for v in run if v.grain == row.grain and v.value is not None]
    sizes = same_grain or [abs(v.value) for v in run if v.value is not None]
    return statistics.median(sizes) >= min_count


def outliers(metric: MetricSpec, series: list[ValueRow], fy_start: int) -> list[ValueRow]:
    """Each value against its neighbours at the same grain (half the window on each side, fewer at the ends).

    An outlier also sticks out from the values right before and after it, on the same side and ``min_ratio``
    times off each: that catches an isolated spike but not a trend or a lasting change of level. A value like
    the same period a year before or after is a season; reported quarters that add up to the agency's own
    annual figure corroborate one another. The latest value, with a neighbour on one side only, stays
    questionable until the next one (or the same period next year) confirms it.
    """
    rule = metric.quality.outlier
    if not rule.enabled:
        return series
    corroborated = _corroborated(metric, series, fy_start)
    half = rule.window // 2
    out = []
    by_grain: dict[str, list[ValueRow]] = defaultdict(list)
    for row in series:
        by_grain[row.grain].append(row)
    for rows in by_grain.values():
        rows.sort(key=lambda v: v.period_start)
        known = [(i, v.value) for i, v in enumerate(rows) if v.value and not v.partial and not v.questionable]
        by_start = {rows[i].period_start: value for i, value in known}
        values = [value for _, value in known]
        last = len(values) - 1
        for position, (index, value) in enumerate(known):
            previous = values[position - 1] if half and position > 0 else None
            following = values[position + 1] if half and position < last else None
            if not _sticks_out(value, previous, following, rule.min_ratio):  # most values: cheapest test first
                continue
            row = rows[index]
            if row.key in corroborated or _seasonal(row, value, by_start, rule.min_ratio):
                continue
            before = [v for _, v in known[max(0, position - half):position]]
            after = [v for _, v in known[position + 1:position + 1 + half]]
            if len(before) + len(after) >= rule.min_history \
                    and (reason := _outlier_reason(metric, value, before + after, row.grain)):
                rows[index] = with_flag(row, QualityRule.OUTLIER, reason)
        out += rows
    return out


def _seasonal(row: ValueRow, value: float, by_start: dict[dt.date, float], min_ratio: float) -> bool:
    """Like the same period a year before or after: a season, not a spike."""
    if MONTHS_IN[Grain(row.grain)] >= 12:
        return False
    peers = (by_start.get(add_months(row.period_start, shift)) for shift in (-12, 12))
    return any(p is not None and ratio(value, p) < min_ratio for p in peers)


def _sticks_out(value: float, before: float | None, after: float | None, min_ratio: float) -> bool:
    """Above both neighbours (those it has) or below both, and ``min_ratio`` times off each (``ratio``; asked of
    every value, so worked out inline: no value here is zero)."""
    if before is not None and after is not None and (value > before) is not (value > after):
        return False  # between its neighbours: most values
    near = 1 / min_ratio
    return not ((before is not None and near < value / before < min_ratio)
                or (after is not None and near < value / after < min_ratio))


def _corroborated(metric: MetricSpec, series: list[ValueRow], fy_start: int) -> set[tuple[str, dt.date, str, str]]:
    """Keys of reported quarters whose year adds up to the agency's own annual figure (a flow reported twice)."""
    if metric.computation.kind is not ComputationKind.REPORTED or metric.total is not PeriodTotal.SUM:
        return set()
    annual = {fiscal_year(v.period_start, fy_start): v.value or 0.0 for v in series
              if v.grain == Grain.FISCAL_YEAR and v.value and not v.questionable}
    quarters: dict[int, list[ValueRow]] = defaultdict(list)
    for v in series:
        if v.grain == Grain.FISCAL_QUARTER and v.value is not None and not v.questionable:
            quarters[fiscal_year(v.period_start, fy_start)].append(v)
    agree = {year for year, parts in quarters.items() if len(parts) == 4 and year in annual
             and abs(sum(q.value or 0.0 for q in parts) - annual[year]) <= CORROBORATION * abs(annual[year])}
    return {q.key for year in agree for q in quarters[year]}


def _outlier_reason(metric: MetricSpec, value: float, around: list[float], grain: str) -> str | None:
    rule = metric.quality.outlier
    median = statistics.median(around)
    spread = MAD_TO_SIGMA * statistics.median(abs(p - median) for p in around)
    if metric.format is FormatType.COUNT:
        if abs(median) < rule.min_count:
            return None
        spread = max(spread, math.sqrt(abs(median)))  # event counts vary by about √n on their own (Poisson)
    if median == 0 or abs(value - median) <= rule.k * spread:
        return None
    if ratio(value, median) < rule.min_ratio:
        return None
    times = f"{ratio(value, median):,.0f} times" if abs(value) > abs(median) else f"1/{ratio(value, median):,.0f} of"
    return (f"far outside this measure's usual range: {times} the median ({fmt(metric, median)}) of the "
            f"{len(around)} {Grain(grain).value.replace('_', ' ')} values around it, which run from "
            f"{fmt(metric, min(around))} to {fmt(metric, max(around))}")


def ratio(a: float, b: float) -> float:
    """How many times apart two values are (infinite across zero or a change of sign)."""
    if a * b <= 0:
        return math.inf
    return max(abs(a) / abs(b), abs(b) / abs(a))


def propagate(series: list[ValueRow], fy_start: int) -> list[ValueRow]:
    """Quarters and years that contain a held-out month are held out too, with the month named."""
    months = [v for v in series if v.flags and v.grain == Grain.MONTH and v.held_out]
    if not months:
        return series
    out = []
    for row in series:
        if row.grain != Grain.MONTH:
            end = period_end(row.period_start, Grain(row.grain))
            for month in months:
                if row.period_start <= month.period_start <= end:
                    for held in month.held_out:
                        if all(f.rule is not held.rule for f in row.flags):
                            row = with_flag(row, held.rule, f"includes {label(month, fy_start)}: {held.reason}")
        out.append(row)
    return out


def with_flag(row: ValueRow, rule: QualityRule, reason: str) -> ValueRow:
    return dataclasses.replace(row, flags=(*row.flags, Flag(rule, reason)))


def label(row: ValueRow, fy_start: int) -> str:
    return period_label(row.period_start, Grain(row.grain), fy_start)


def fmt(metric: MetricSpec, value: float | None) -> str:
    return format_value(value, metric.format, metric.unit)
