"""The quality gate: which values are implausible and why, in words with the numbers; run at every refresh.

Each rule has defaults a metric can tune or switch off (``quality:`` in the registry, see
:mod:`metrics.quality_settings`):

- **scale**: a percent outside 0–1 (the stored fraction); a reported figure ``reference_ratio`` times off the
  measure's usual size (the median of its figures and targets: a count where millions were meant); a target
  or baseline on another scale than the values (outside 0–1 for a percent, or ``reference_ratio`` times off
  the measure's typical value).
- **impossible**: not a number, infinite, a negative count, a fractional count where a count must be whole.
- **not reported** (reported figures): exactly zero after ``min_run`` non-zero values (zeros already held out
  are passed over);
  for counts only where the run's median is ``min_count`` or more. A genuinely seasonal zero is confirmed by
  the performance team once, or the metric tunes the rule.
- **outlier**: outside median ± ``k`` robust deviations (1.4826 × MAD, at least √median for counts) of the
  ``window`` values around it at the same grain and place, and at least ``min_ratio`` times off that median and
  off the values right before and after it (a spike, not a trend), unless the same period a year before or
  after is alike (a season); counts whose median is under ``min_count`` are not judged.
- **partial**: the source's data ends before the period does; judged against the pro-rated target.
- **sample**: the source is a sample of the records, so its counts are not the city's.

Flagged values are kept, with their reasons, and held out of every judgement (``ValueRow.questionable``);
a partial period is judged, on the share of it the data covers. For computed metrics a month held out
also holds out the quarters and years that contain it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from metrics.formatting import format_value
from metrics.periods import MONTHS_IN, add_months, period_end, period_label
from metrics.spec import Aggregation, ComputationKind, FormatType, Grain, MetricSpec, PeriodTotal
from metrics.values import CITY, Flag, QualityRule, ValueRow, usable

MAD_TO_SIGMA = 1.4826
COUNT_AGGREGATIONS = (Aggregation.COUNT, Aggregation.CUMULATIVE_COUNT)


@dataclass(frozen=True)
class Coverage:
    """What the source behind a metric holds: data up to ``end``, and whether it is a sample."""

    end: dt.date | None = None
    sample: str | None = None


@dataclass(frozen=True)
class ReferenceFinding:
    """A target or baseline the gate does not use, and why."""

    what: str  # "Baseline" or "FY2026 target"
    reason: str


def check(metric: MetricSpec, rows: Iterable[ValueRow], coverage: Coverage, fy_start: int) -> list[ValueRow]:
    """``rows`` with the gate's flags (and the covered share of partial periods); non-finite values become None."""
    out: list[ValueRow] = []
    for series in _by_place(rows).values():
        flagged = [_single(metric, row, coverage, fy_start) for row in series]
        flagged = _off_scale(metric, flagged)
        flagged = _not_reported(metric, flagged, fy_start)
        flagged = _outliers(metric, flagged)
        if metric.computation.kind is ComputationKind.COMPUTED:
            flagged = _propagate(flagged, fy_start)
        out += flagged
    return out


def summary(rows: Iterable[ValueRow], fy_start: int) -> list[str]:
    """One line per rule that flagged values: how many, and the first citywide one (else any) with its reason."""
    found: dict[QualityRule, list[tuple[ValueRow, Flag]]] = defaultdict(list)
    for row in rows:
        for flag in row.flags:
            found[flag.rule].append((row, flag))
    lines = []
    for rule, hits in found.items():
        row, flag = next(((r, f) for r, f in hits if r.geography == CITY), hits[0])
        place = "" if row.geography == CITY else f" ({row.geography} {row.geo_key})"
        more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
        lines.append(f"{rule.label}: {_label(row, fy_start)}{place}: {flag.reason}{more}")
    return lines


def trusted(metric: MetricSpec, values: list[ValueRow]) -> tuple[MetricSpec, tuple[ReferenceFinding, ...]]:
    """The metric without targets or baseline on another scale than its values, and what was left out."""
    rule = metric.quality.scale
    if not rule.enabled or not (metric.targets or metric.baseline):
        return metric, ()
    typical = _typical(metric, values)

    def off(value: float, per_quarter: bool) -> str | None:
        low, high = rule.percent_range
        if metric.format is FormatType.PERCENT and not low <= value <= high:
            return (f"{_fmt(metric, value)} is outside {_fmt(metric, low)}–{_fmt(metric, high)} (a percent is stored "
                    f"as a 0–1 fraction: {_fmt(metric, value / 100)} was probably meant)")
        usual = typical / 4 if typical and per_quarter and metric.total is PeriodTotal.SUM else typical
        if metric.format is not FormatType.PERCENT and usual and value:
            if (ratio := _ratio(abs(value), usual)) >= rule.reference_ratio:
                return (f"{_fmt(metric, value)} is {ratio:,.0f} times off the measure's typical value "
                        f"({_fmt(metric, usual)}): it looks like another scale")
        return None

    findings: list[ReferenceFinding] = []
    baseline = metric.baseline
    if baseline is not None and (reason := off(baseline.value, False)):
        findings.append(ReferenceFinding("Baseline", reason))
        baseline = None
    kept = []
    for target in metric.targets:
        if reason := off(target.value, target.quarter is not None):
            period = f"FY{target.fiscal_year}" + (f" Q{target.quarter}" if target.quarter else "")
            findings.append(ReferenceFinding(f"{period} target", reason))
        else:
            kept.append(target)
    if not findings:
        return metric, ()
    return metric.model_copy(update={"baseline": baseline, "targets": tuple(kept)}), tuple(findings)


def _typical(metric: MetricSpec, values: list[ValueRow]) -> float | None:
    """The metric's usual size over a year: median of its citywide cycle values (a year of them for flows)."""
    city = [v for v in usable(values) if v.geography == CITY and v.value]
    for grain in (Grain.FISCAL_QUARTER, Grain.MONTH, Grain.FISCAL_YEAR):
        sizes = [abs(v.value) for v in city if v.grain == grain and v.value is not None]
        if sizes:
            per_year = 12 // MONTHS_IN[grain] if metric.total is PeriodTotal.SUM else 1
            return statistics.median(sizes) * per_year
    return None


# --- rules on one value --------------------------------------------------------------------------------------
def _single(metric: MetricSpec, row: ValueRow, coverage: Coverage, fy_start: int) -> ValueRow:
    rules = metric.quality
    flags = list(row.flags)
    value, numerator, denominator = row.value, row.numerator, row.denominator
    if value is not None and not math.isfinite(value):
        if rules.impossible.enabled:
            flags.append(Flag(QualityRule.IMPOSSIBLE, "the value is not a number" if math.isnan(value)
                              else "the value is infinite (a division by zero in the source?)"))
        value = None
    numerator = numerator if numerator is None or math.isfinite(numerator) else None
    denominator = denominator if denominator is None or math.isfinite(denominator) else None
    if value is not None:
        flags += _impossible(metric, value) + _scale(metric, value)
    if coverage.sample and rules.sample.enabled:
        flags.append(Flag(QualityRule.SAMPLE, f"from a sample: {coverage.sample}"))
    through = None
    end = period_end(row.period_start, Grain(row.grain))
    if coverage.end is not None and row.period_start <= coverage.end < end and rules.partial.enabled:
        through = coverage.end
        flags.append(Flag(QualityRule.PARTIAL, f"the source's data ends on {coverage.end:%Y-%m-%d}, before "
                          f"{period_label(row.period_start, Grain(row.grain), fy_start)} ends on {end:%Y-%m-%d}"))
    if len(flags) == len(row.flags) and value is row.value and numerator is row.numerator \
            and denominator is row.denominator:
        return row  # nothing found: most values
    return dataclasses.replace(row, value=value, numerator=numerator, denominator=denominator, flags=tuple(flags),
                               covered_through=through)


def _impossible(metric: MetricSpec, value: float) -> list[Flag]:
    rule = metric.quality.impossible
    if not rule.enabled or metric.format is not FormatType.COUNT:
        return []
    if rule.negative_counts and value < 0:
        return [Flag(QualityRule.IMPOSSIBLE, f"a count cannot be negative ({_fmt(metric, value)})")]
    whole = rule.whole_counts if rule.whole_counts is not None else \
        metric.computation.aggregation in COUNT_AGGREGATIONS
    if whole and not float(value).is_integer():
        return [Flag(QualityRule.IMPOSSIBLE, f"a count is a whole number, not {value:,.4g}")]
    return []


def _scale(metric: MetricSpec, value: float) -> list[Flag]:
    rule = metric.quality.scale
    low, high = rule.percent_range
    if not rule.enabled or metric.format is not FormatType.PERCENT or low <= value <= high:
        return []
    return [Flag(QualityRule.SCALE, f"outside {_fmt(metric, low)}–{_fmt(metric, high)} for a percent (stored as a "
                 f"0–1 fraction): probably entered on another scale")]


# --- rules on a place's series -------------------------------------------------------------------------------
def _off_scale(metric: MetricSpec, series: list[ValueRow]) -> list[ValueRow]:
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
        ratio = _ratio(abs(row.value), usual) if row.value else 1.0
        small_part = metric.total is PeriodTotal.SUM and abs(row.value or 0) < usual  # a quarter may hold little
        if not row.questionable and not small_part and ratio >= rule.reference_ratio:
            row = _flag(row, QualityRule.SCALE, f"{ratio:,.0f} times off this measure's usual size "
                        f"({_fmt(metric, usual)}): probably entered on another scale")
        out.append(row)
    return out



def _by_place(rows: Iterable[ValueRow]) -> dict[tuple[str, str], list[ValueRow]]:
    places: dict[tuple[str, str], list[ValueRow]] = defaultdict(list)
    for row in rows:
        places[(row.geography, row.geo_key)].append(row)
    return places


def _chronological(series: list[ValueRow]) -> list[ValueRow]:
    return sorted(series, key=lambda v: (period_end(v.period_start, Grain(v.grain)), -MONTHS_IN[Grain(v.grain)]))


def _not_reported(metric: MetricSpec, series: list[ValueRow], fy_start: int) -> list[ValueRow]:
    """Agency-reported figures only: a computed zero is a real "none of n", and a missing feed has no row."""
    rule = metric.quality.not_reported
    if not rule.enabled or metric.computation.kind is not ComputationKind.REPORTED:
        return series
    ordered = _chronological(series)
    flagged: set[tuple[str, dt.date]] = set()
    out = []
    for index, row in enumerate(ordered):
        if row.value == 0 and not row.questionable and not row.partial:
            run = list(_run_before(ordered[:index], row, flagged))
            if len(run) >= rule.min_run and _large_enough(metric, row, run, rule.min_count):
                flagged.add((row.grain, row.period_start))
                last = run[0]
                row = _flag(row, QualityRule.NOT_REPORTED, f"exactly 0 after {len(run)} non-zero values (the last "
                            f"{_fmt(metric, last.value)} in {_label(last, fy_start)}): probably not reported")
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


def _outliers(metric: MetricSpec, series: list[ValueRow]) -> list[ValueRow]:
    """Each value against its neighbours at the same grain (half the window on each side, fewer at the ends).

    An outlier is also ``min_ratio`` times off the values right before and after it: that catches an isolated
    spike but not a trend or a lasting change of level. A value like the same period a year before or after is
    a season, not a spike. The latest value, with a neighbour on one side only, stays questionable until the
    next one (or the same period next year) confirms it.
    """
    rule = metric.quality.outlier
    if not rule.enabled:
        return series
    out = []
    by_grain: dict[str, list[ValueRow]] = defaultdict(list)
    for row in series:
        by_grain[row.grain].append(row)
    for rows in by_grain.values():
        rows.sort(key=lambda v: v.period_start)
        known = [(i, v.value) for i, v in enumerate(rows) if v.value and not v.questionable and not v.partial]
        by_start = {rows[i].period_start: value for i, value in known}
        for position, (index, value) in enumerate(known):
            start = rows[index].period_start
            peers = [by_start.get(add_months(start, shift)) for shift in (-12, 12)]
            if MONTHS_IN[Grain(rows[index].grain)] < 12 and any(
                    p is not None and value is not None and _ratio(value, p) < rule.min_ratio for p in peers):
                continue  # the same period a year apart looks alike: a season
            before = [v for _, v in known[max(0, position - rule.window // 2):position]]
            after = [v for _, v in known[position + 1:position + 1 + rule.window // 2]]
            adjacent = before[-1:] + after[:1]
            if value is None or len(before) + len(after) < rule.min_history \
                    or not all(_ratio(value, a) >= rule.min_ratio for a in adjacent):
                continue
            reason = _outlier_reason(metric, value, before + after, rows[index].grain)
            if reason:
                rows[index] = _flag(rows[index], QualityRule.OUTLIER, reason)
        out += rows
    return out


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
    if _ratio(value, median) < rule.min_ratio:
        return None
    low, high = median - rule.k * spread, median + rule.k * spread
    if min(around) >= 0:
        low = max(low, 0.0)
    band = f"between {_fmt(metric, low)} and {_fmt(metric, high)}" if spread else f"about {_fmt(metric, median)}"
    return (f"far outside this measure's usual range: the {len(around)} {Grain(grain).value.replace('_', ' ')} "
            f"values around it are {band} (median {_fmt(metric, median)})")


def _ratio(a: float, b: float) -> float:
    """How many times apart two values are (infinite across zero or a change of sign)."""
    if a * b <= 0:
        return math.inf
    return max(abs(a) / abs(b), abs(b) / abs(a))


def _propagate(series: list[ValueRow], fy_start: int) -> list[ValueRow]:
    """Quarters and years that contain a held-out month are held out too, with the month named."""
    months = [v for v in series if v.grain == Grain.MONTH and v.held_out]
    if not months:
        return series
    out = []
    for row in series:
        if row.grain != Grain.MONTH:
            end = period_end(row.period_start, Grain(row.grain))
            for month in months:
                if row.period_start <= month.period_start <= end:
                    for flag in month.held_out:
                        if all(f.rule is not flag.rule for f in row.flags):
                            row = _flag(row, flag.rule, f"includes {_label(month, fy_start)}: {flag.reason}")
        out.append(row)
    return out


def _flag(row: ValueRow, rule: QualityRule, reason: str) -> ValueRow:
    return dataclasses.replace(row, flags=(*row.flags, Flag(rule, reason)))


def _label(row: ValueRow, fy_start: int) -> str:
    return period_label(row.period_start, Grain(row.grain), fy_start)


def _fmt(metric: MetricSpec, value: float | None) -> str:
    return format_value(value, metric.format, metric.unit)
