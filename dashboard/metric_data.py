"""Everything the metric page shows, computed once and used by both the page and its CSV download."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.figures import Point
from dashboard.views import GRAIN_NAMES, choice, default_grain, grains_of, series
from data.access import Gate, Viewer
from data.reviews import Review
from metrics.formatting import format_value
from metrics.periods import MONTHS_IN, period_label
from metrics.spec import Grain, MetricSpec
from metrics.status import Assessment
from metrics.values import CITY, Flag, QualityRule, ValueRow

BREAKDOWN = "council_district"


@dataclass(frozen=True)
class TableRow:
    geography: str
    place: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    target: float | None
    note: str | None
    source: ValueRow  # the stored value: its quality flags, covered share and review

    @property
    def flags(self) -> tuple[Flag, ...]:
        return self.source.flags


@dataclass(frozen=True)
class MetricPage:
    metric: MetricSpec
    assessment: Assessment
    grains: list[Grain]
    grain: Grain | None
    points: list[Point]
    rows: list[TableRow]  # the values table, citywide, at the chosen grain
    district_period: str | None
    district_rows: list[TableRow]  # the breakdown table: one row per council district
    city_value: float | None
    last_refresh: dt.datetime | None
    flagged: list[ValueRow]  # held out or reviewed: citywide at every grain, and the districts shown
    partial: list[ValueRow]  # citywide periods the source covers only in part
    reviews: dict[tuple[str, dt.date, str, str], Review]
    sample: str | None  # what the sample is, when the source is one


def metric_page(reads: Gate, viewer: Viewer, metric_id: str, query: Mapping[str, str], today: dt.date) -> MetricPage:
    """Read and shape the metric page (raises ``NotFound`` for unknown or hidden metrics and bad queries)."""
    metric = reads.metric(viewer, metric_id)
    fy_start = reads.registry.city.fiscal_year_start_month
    snapshot = reads.snapshot(viewer, today)
    values = reads.values(viewer, metric_id, geography="city")
    if BREAKDOWN in metric.geographies:
        values = values + reads.values(viewer, metric_id, geography=BREAKDOWN)
    grains = grains_of(values)
    default = default_grain(metric, grains)
    grain_value = choice(query, "grain", [g.value for g in grains], default.value if default else None)
    grain = Grain(grain_value) if grain_value else None
    points = series(metric, values, grain, fy_start) if grain else []
    city = {(v.grain, v.period_start): v for v in values if v.geography == CITY}
    rows = [TableRow(CITY, reads.registry.city.name, p.label, p.value, city[(grain, p.start)].numerator,
                     city[(grain, p.start)].denominator, p.target, city[(grain, p.start)].note, city[(grain, p.start)])
            for p in points] if grain is not None else []
    district_period, district_rows, city_value = _breakdown(metric, values, fy_start)
    shown = [*city.values(), *(r.source for r in district_rows)]
    source = reads.registry.sources.get(metric.computation.source)
    return MetricPage(metric, snapshot.assessments[metric.id], grains, grain, points, rows, district_period,
                      district_rows, city_value, snapshot.last_success.get(metric.id),
                      sorted((v for v in shown if _listed(v)), key=_newest_first),
                      sorted((v for v in city.values() if v.partial), key=_newest_first),
                      reads.reviews(viewer, metric_id), source.coverage.sample if source else None)


def _listed(value: ValueRow) -> bool:
    """Flagged values the page lists one by one: a sample is said once for the whole measure."""
    return bool(value.verdict) or any(f.rule is not QualityRule.SAMPLE for f in value.held_out)


def _newest_first(value: ValueRow) -> tuple[bool, int, int, str]:
    """Citywide first, then the latest period first, a month before the quarter and year that hold it."""
    return (value.geography != CITY, -value.end.toordinal(), MONTHS_IN[Grain(value.grain)], value.geo_key)


def _breakdown(metric: MetricSpec, values: list[ValueRow], fy_start: int
               ) -> tuple[str | None, list[TableRow], float | None]:
    """Latest period with council-district values, at the coarsest grain the metric has."""
    if BREAKDOWN not in metric.geographies:
        return None, [], None
    places = [v for v in values if v.geography == BREAKDOWN]
    for grain in (Grain.FISCAL_YEAR, Grain.FISCAL_QUARTER, Grain.MONTH):
        at_grain = [v for v in places if v.grain == grain]
        if not at_grain:
            continue
        latest = max(v.period_start for v in at_grain)
        label = period_label(latest, grain, fy_start)
        rows = sorted((v for v in at_grain if v.period_start == latest), key=lambda v: (len(v.geo_key), v.geo_key))
        city = next((v.value for v in values if v.geography == CITY and v.grain == grain
                     and v.period_start == latest), None)
        return label, [TableRow(BREAKDOWN, r.geo_key, label, r.value, r.numerator, r.denominator, None, None, r)
                       for r in rows], city
    return None, [], None


def to_csv(page: MetricPage) -> str:
    """The page's two tables as one CSV (values raw: percent as 0–1 fractions), with the quality gate's findings:
    whether each value counts for status, the flags and their reasons, where a partial period's data ends, the
    performance team's review, and whether the values are a sample."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric_id", "metric", "geography", "place", "grain", "period", "value", "numerator",
                     "denominator", "target", "note", "used_for_status", "quality_flags", "quality_reasons",
                     "data_through", "review", "sample"])
    grain = GRAIN_NAMES[page.grain] if page.grain else ""
    for row in page.rows:
        writer.writerow([page.metric.id, page.metric.title, row.geography, row.place, grain, row.period,
                         _raw(row.value), _raw(row.numerator), _raw(row.denominator), _raw(row.target),
                         row.note or "", *_quality(page, row)])
    for row in page.district_rows:
        writer.writerow([page.metric.id, page.metric.title, row.geography, row.place, "", row.period,
                         _raw(row.value), _raw(row.numerator), _raw(row.denominator), "", "", *_quality(page, row)])
    return out.getvalue()


def _quality(page: MetricPage, row: TableRow) -> list[str]:
    value = row.source
    review = page.reviews.get(value.key) if value.verdict else None
    verdict = f"{value.verdict.value} by {review.reviewer}: {review.reason}" if review and value.verdict else ""
    return ["no" if value.questionable else "yes", ";".join(f.rule.value for f in value.flags),
            " | ".join(f"{f.rule.value}: {f.reason}" for f in value.flags),
            value.covered_through.isoformat() if value.covered_through else "", verdict, page.sample or ""]


def _raw(value: float | None) -> str:
    return "" if value is None else repr(value)


def chart_summary(page: MetricPage) -> str:
    """The trend chart in words (its text alternative)."""
    m, points = page.metric, [p for p in page.points if p.value is not None and not p.held_out]
    held = len([p for p in page.points if p.held_out])
    left_out = f" {held} questionable value{'s are' if held != 1 else ' is'} marked apart and not used." if held else ""
    if not points:
        return "There are no usable values to chart." + left_out
    fmt = lambda v: format_value(v, m.format, m.unit)  # noqa: E731
    first, last = points[0], points[-1]
    high = max(points, key=lambda p: p.value or 0)
    low = min(points, key=lambda p: p.value or 0)
    grain = GRAIN_NAMES[page.grain].lower() if page.grain else "period"
    target = f", against a target of {fmt(last.target)}" if last.target is not None else ""
    count = f"{len(points)} {grain} value{'s' if len(points) != 1 else ''}"
    return (f"{count} from {first.label} to {last.label}. The latest, {last.label}, is "
            f"{fmt(last.value)}{target}. Highest {fmt(high.value)} ({high.label}); lowest {fmt(low.value)} "
            f"({low.label}).{left_out}")
