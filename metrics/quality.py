"""The quality gate: which values are implausible and why, in words with the numbers; run at every refresh.

Each rule has defaults a metric can tune or switch off (``quality:`` in the registry, see
:mod:`metrics.quality_settings`):

- **scale**: a percent outside 0–1 (the stored fraction); a reported figure ``reference_ratio`` times off the
  measure's usual size (the median of its figures and targets: a count where millions were meant); a target
  or baseline on another scale than the values (outside 0–1 for a percent, or ``reference_ratio`` times off
  the measure's typical value).
- **impossible**: not a number, infinite, a negative count, a fractional count where a count must be whole.
- **not reported** (reported figures): a quarter or month of exactly zero after ``min_run`` non-zero values
  (zeros already held out are passed over, for up to a year); for counts only where the run's median is
  ``min_count`` or more. A year reported as zero, and zeros in it, are the agency's word. A genuinely
  seasonal zero is confirmed by the performance team once, or the metric tunes the rule.
- **outlier**: outside median ± ``k`` robust deviations (1.4826 × MAD, at least √median for counts) of the
  ``window`` values around it at the same grain and place, and at least ``min_ratio`` times off that median and
  off the values right before and after it (a spike, not a trend), unless the same period a year before or
  after is alike (a season); counts whose median is under ``min_count`` are not judged.
- **partial**: the source's data ends before the period does; judged against the pro-rated target.
- **incomplete**: the source's data begins after the period does (a flow or an average: its first months hold
  no records, so a year would read as a fall); kept out of judgements. A stock or a latest reading is whole.
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from metrics.aggregations import PeriodTotal
from metrics.periods import MONTHS_IN, period_end, period_label
from metrics.quality_series import by_place, fmt, label, not_reported, off_scale, outliers, propagate, ratio
from metrics.spec import ComputationKind, FormatType, Grain, MetricSpec, Target
from metrics.values import CITY, Flag, QualityRule, ValueRow, usable


@dataclass(frozen=True)
class Coverage:
    """What the source behind a metric holds: data from ``start`` up to ``end``, and whether it is a sample."""

    end: dt.date | None = None
    sample: str | None = None
    start: dt.date | None = None


@dataclass(frozen=True)
class ReferenceFinding:
    """A target or baseline the gate does not use, and why."""

    what: str  # "Baseline" or "FY2026 target"
    reason: str
    target: Target | None = None  # the target left out; None for the baseline


def check(metric: MetricSpec, rows: Iterable[ValueRow], coverage: Coverage, fy_start: int) -> list[ValueRow]:
    """``rows`` with the gate's flags (and the covered share of partial periods); non-finite values become None."""
    out: list[ValueRow] = []
    judge = _single_rules(metric, coverage, fy_start)
    for series in by_place(rows).values():
        flagged = [judge(row) for row in series]
        flagged = off_scale(metric, flagged)
        flagged = not_reported(metric, flagged, fy_start)
        flagged = outliers(metric, flagged, fy_start)
        if metric.computation.kind is ComputationKind.COMPUTED:
            flagged = propagate(flagged, fy_start)
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
        lines.append(f"{rule.label}: {label(row, fy_start)}{place}: {flag.reason}{more}")
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
            return (f"{fmt(metric, value)} is outside {fmt(metric, low)}–{fmt(metric, high)} (a percent is stored "
                    f"as a 0–1 fraction: {fmt(metric, value / 100)} was probably meant)")
        usual = typical / 4 if typical and per_quarter and metric.total is PeriodTotal.SUM else typical
        if metric.format is not FormatType.PERCENT and usual and value:
            if (times := ratio(abs(value), usual)) >= rule.reference_ratio:
                return (f"{fmt(metric, value)} is {times:,.0f} times off the measure's typical value "
                        f"({fmt(metric, usual)}): it looks like another scale")
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
            findings.append(ReferenceFinding(f"{period} target", reason, target))
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
def _single_rules(metric: MetricSpec, coverage: Coverage, fy_start: int) -> Callable[[ValueRow], ValueRow]:
    """The rules on one value, settled once for the metric (a refresh runs them on millions of values)."""
    rules = metric.quality
    judge_count = rules.impossible.enabled and metric.format is FormatType.COUNT
    whole = rules.impossible.whole_counts if rules.impossible.whole_counts is not None \
        else bool(metric.kind and metric.kind.whole_numbers)
    low, high = rules.scale.percent_range
    judge_percent = rules.scale.enabled and metric.format is FormatType.PERCENT
    sample = [Flag(QualityRule.SAMPLE, f"from a sample: {coverage.sample}")] if coverage.sample \
        and rules.sample.enabled else []
    data_end = coverage.end if rules.partial.enabled else None
    data_start = coverage.start if rules.incomplete.enabled and metric.total is not PeriodTotal.LATEST else None
    recent = data_end - dt.timedelta(days=366) if data_end else dt.date.min  # no period is longer than a year

    negative = rules.impossible.negative_counts

    def judge(row: ValueRow) -> ValueRow:
        value, numerator, denominator = row.value, row.numerator, row.denominator
        found: list[Flag] = []
        if value is not None and not math.isfinite(value):
            if rules.impossible.enabled:
                found.append(Flag(QualityRule.IMPOSSIBLE, "the value is not a number" if math.isnan(value)
                                  else "the value is infinite (a division by zero in the source?)"))
            value = None
        elif value is not None:
            if judge_count and ((negative and value < 0) or (whole and value % 1)):  # else nothing to ask
                found += _impossible_count(metric, value, whole)
            if judge_percent and not low <= value <= high:
                found.append(_off_percent_scale(metric))
        if numerator is not None and not math.isfinite(numerator):
            numerator = None
        if denominator is not None and not math.isfinite(denominator):
            denominator = None
        found += sample
        if data_start is not None and row.period_start < data_start:
            found.append(Flag(QualityRule.INCOMPLETE, f"the source's data begins on {data_start:%Y-%m-%d}, after "
                              f"{period_label(row.period_start, Grain(row.grain), fy_start)} began on "
                              f"{row.period_start:%Y-%m-%d}: the months before hold no records"))
        through = None
        if data_end is not None and recent < row.period_start <= data_end \
                and data_end < (end := period_end(row.period_start, Grain(row.grain))):
            through = data_end
            found.append(Flag(QualityRule.PARTIAL, f"the source's data ends on {data_end:%Y-%m-%d}, before "
                              f"{period_label(row.period_start, Grain(row.grain), fy_start)} ends on {end:%Y-%m-%d}"))
        if not found and value is row.value and numerator is row.numerator and denominator is row.denominator:
            return row  # nothing found: most values
        return dataclasses.replace(row, value=value, numerator=numerator, denominator=denominator,
                                   flags=(*row.flags, *found), covered_through=through)

    return judge


def _impossible_count(metric: MetricSpec, value: float, whole: bool) -> list[Flag]:
    if metric.quality.impossible.negative_counts and value < 0:
        return [Flag(QualityRule.IMPOSSIBLE, f"a count cannot be negative ({fmt(metric, value)})")]
    if whole and not float(value).is_integer():
        return [Flag(QualityRule.IMPOSSIBLE, f"a count is a whole number, not {value:,.4g}")]
    return []


def _off_percent_scale(metric: MetricSpec) -> Flag:
    low, high = metric.quality.scale.percent_range
    return Flag(QualityRule.SCALE, f"outside {fmt(metric, low)}–{fmt(metric, high)} for a percent (stored as a "
                f"0–1 fraction): probably entered on another scale")
