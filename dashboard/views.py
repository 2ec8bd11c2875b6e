"""Shapes gate data for pages: a metric's series with targets, measure rows, and query-string parsing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dashboard.figures import Point
from data.access import Snapshot
from data.errors import NotFound
from metrics.aggregations import PeriodTotal
from metrics.formatting import format_change, format_target, format_value
from metrics.periods import MONTHS_IN, period_label
from metrics.quality import trusted
from metrics.registry import Registry
from metrics.spec import ComputationKind, Grain, MetricSpec
from metrics.status import Assessment, Status, why_held_out
from metrics.targets import target_for
from metrics.values import CITY, ValueRow

GRAIN_NAMES = {Grain.FISCAL_YEAR: "Fiscal year", Grain.FISCAL_QUARTER: "Fiscal quarter", Grain.MONTH: "Month",
               Grain.QUARTER: "Quarter", Grain.YEAR: "Year"}
WORST_FIRST = [Status.OFF_TRACK, Status.NEAR_TARGET, Status.NOT_JUDGED, Status.NO_DATA, Status.INFORMATIONAL,
               Status.ON_TRACK]
STATUS_FILTERS = {s.value: s for s in (*WORST_FIRST, Status.STALE)}
SORTS = ("status", "title", "score")
SPARK_POINTS = 12


class BadQuery(NotFound):
    """A query-string value the page does not know: answered with the not-found page."""


def choice(query: Mapping[str, str], name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
    value = query.get(name) or default
    if value is not None and value not in set(allowed):
        raise BadQuery(f"This address asks for an unknown {name} '{value}', which this page does not offer.")
    return value


def effective(assessment: Assessment) -> Status:
    """The status a stale metric had at its last reading; otherwise its status."""
    return assessment.judged_as or assessment.status


def grains_of(values: Iterable[ValueRow]) -> list[Grain]:
    present = {v.grain for v in values if v.geography == CITY}
    return [g for g in (Grain.FISCAL_YEAR, Grain.FISCAL_QUARTER, Grain.MONTH, Grain.QUARTER, Grain.YEAR)
            if g in present]


def default_grain(metric: MetricSpec, grains: list[Grain]) -> Grain | None:
    if not grains:
        return None
    if metric.computation.kind is ComputationKind.REPORTED:
        return Grain.FISCAL_YEAR if Grain.FISCAL_YEAR in grains else grains[0]
    for preferred in (Grain.MONTH, Grain.FISCAL_QUARTER, Grain.FISCAL_YEAR):
        if preferred in grains:
            return preferred
    return grains[0]


def series(metric: MetricSpec, values: Iterable[ValueRow], grain: Grain, fy_start: int,
           geography: str = CITY, geo_key: str = "") -> list[Point]:
    """A place's values at one grain, each with the target it is compared with (targets on another scale left
    out; a partial period's target pro-rated for flows) and whether the quality gate holds it out."""
    values = list(values)
    metric, _ = trusted(metric, values)
    rows = sorted((v for v in values if v.grain == grain and v.geography == geography and v.geo_key == geo_key),
                  key=lambda v: v.period_start)
    return [Point(period_label(v.period_start, grain, fy_start) + (" (partial)" if v.partial else ""), v.period_start,
                  v.value, _target(metric, v, grain, fy_start), why_held_out(v) if v.questionable else None, v.partial)
            for v in rows]


def series_summary(metric: MetricSpec, points: list[Point], noun: str) -> str:
    """A series in words (a chart's text alternative): its span, the latest, highest and lowest usable values
    and how many values the quality gate held out."""
    usable = [p for p in points if p.value is not None and not p.held_out]
    held = len([p for p in points if p.held_out])
    left_out = f" {held} questionable value{'s are' if held != 1 else ' is'} marked apart and not used." if held else ""
    if not usable:
        return "There are no usable values to chart." + left_out
    fmt = lambda v: format_value(v, metric.format, metric.unit)  # noqa: E731
    first, last = usable[0], usable[-1]
    whole = [p for p in usable if not p.partial] or usable  # a few days of data is not a low
    high = max(whole, key=lambda p: p.value or 0)
    low = min(whole, key=lambda p: p.value or 0)
    target = (f", against a target of {format_target(last.target, metric.format, metric.unit)}"
              if last.target is not None else "")
    count = f"{len(usable)} {noun} value{'s' if len(usable) != 1 else ''}"
    extremes = (f"Highest {fmt(high.value)} ({high.label}); lowest {fmt(low.value)} ({low.label})." if high is not low
                else f"The only full {noun} is {high.label} ({fmt(high.value)}).")
    notes = "".join(f" {p.label} was {p.restated}." for p in points if p.restated)
    return f"{count} from {first.label} to {last.label}. The latest, {last.label}, is {fmt(last.value)}{target}. " \
           f"{extremes}{left_out}{notes}"


def _target(metric: MetricSpec, value: ValueRow, grain: Grain, fy_start: int) -> float | None:
    target = target_for(metric, grain, value.period_start, fy_start)
    if target is not None and value.partial and metric.total is PeriodTotal.SUM:
        return target * value.months_covered / MONTHS_IN[grain]
    return target


def spark_values(metric: MetricSpec, city_values: list[ValueRow], fy_start: int) -> list[float | None]:
    grains = grains_of(city_values)
    grain = Grain.FISCAL_QUARTER if Grain.FISCAL_QUARTER in grains else default_grain(metric, grains)
    if grain is None:
        return []
    return [None if p.held_out else p.value for p in series(metric, city_values, grain, fy_start)][-SPARK_POINTS:]


@dataclass(frozen=True)
class MeasureRow:
    metric: MetricSpec
    assessment: Assessment
    latest: str
    target: str
    spark: list[float | None]
    caveat: str | None = None  # said beside the latest value: a sample, or newer values held out
    change: str | None = None  # against the same stretch of the year before


def target_words(metric: MetricSpec, assessment: Assessment) -> str:
    """"6,000" for a whole year; "4,500 by now of 6,000" when the year is part-way."""
    target, expected = assessment.target, assessment.expected
    if target is None:
        return "—"
    whole = format_value(target, metric.format, metric.unit)
    if expected is None or abs(expected - target) < 1e-9:
        return whole
    return f"{format_target(expected, metric.format, metric.unit)} by now of {whole}"


def change_words(metric: MetricSpec, assessment: Assessment) -> str | None:
    """"+12% on FY2025 Q1–Q3" (the same stretch of the year before), when both are known."""
    if assessment.value is None or assessment.year_earlier is None:
        return None
    change = format_change(assessment.value, assessment.year_earlier, metric.format)
    return f"{change} on {assessment.year_earlier_period}"


def caveat(assessment: Assessment, sample: str | None) -> str | None:
    """Why the latest value shown is not the whole story, in a few words (None when it is)."""
    if assessment.status is Status.NOT_JUDGED:
        return "sample, not used for status" if sample else "questionable, not used for status"
    if sample:
        return "sample"
    if assessment.held_out:
        count = len({v.period_start for v in assessment.held_out})
        through = assessment.data_through
        newer = "newer " if through and all(v.period_start > through for v in assessment.held_out) else ""
        return f"{count} {newer}value{'s' if count != 1 else ''} held out as questionable"
    return None


def measure_rows(metrics: Iterable[MetricSpec], snapshot: Snapshot, registry: Registry,
                 status: str | None = None, agency: str | None = None, sort: str = "status") -> list[MeasureRow]:
    """Rows for a measure table, filtered and sorted (worst first by default)."""
    fy_start = registry.city.fiscal_year_start_month
    rows = []
    for m in metrics:
        a = snapshot.assessments[m.id]
        if agency and m.agency != agency:
            continue
        if status == Status.STALE.value and a.status is not Status.STALE:
            continue
        if status and status != Status.STALE.value and effective(a).value != status:
            continue
        latest = format_value(a.value, m.format, m.unit) if a.value is not None else "No data"
        source = registry.sources.get(m.computation.source)
        rows.append(MeasureRow(m, a, latest, target_words(m, a),
                               spark_values(m, snapshot.city_values.get(m.id, []), fy_start),
                               caveat(a, source.coverage.sample if source else None), change_words(m, a)))
    keys = {
        "status": lambda r: (WORST_FIRST.index(effective(r.assessment)), r.assessment.score or 0, r.metric.title),
        "title": lambda r: (r.metric.title.lower(),),
        "score": lambda r: (r.assessment.score is None, r.assessment.score or 0, r.metric.title),
    }
    return sorted(rows, key=keys[sort])
