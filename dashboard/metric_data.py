"""Everything the metric page shows, computed once and used by both the page and its CSV download."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboard.figures import Point
from dashboard.geo import boundaries, key_order
from dashboard.views import GRAIN_NAMES, choice, default_grain, grains_of, series, series_summary
from data.access import Gate
from data.errors import NotFound
from data.policy import Viewer
from data.publication import RestatementNote, restatements
from data.reviews import Review
from metrics.formatting import format_value
from metrics.periods import MONTHS_IN, period_label
from metrics.spec import FormatType, GeographySpec, Grain, MetricSpec
from metrics.status import Assessment, assess
from metrics.values import CITY, Flag, ValueRow

BREAKDOWN_GRAINS = (Grain.FISCAL_YEAR, Grain.YEAR, Grain.FISCAL_QUARTER, Grain.QUARTER, Grain.MONTH)


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
class Breakdown:
    """One geography's latest period of a metric: a row per area, and the citywide value of that period."""

    geography: str
    label: str  # the geography's label in city.yaml
    period: str
    rows: list[TableRow]
    city_value: float | None

    def row(self, key: str) -> TableRow | None:
        """The area's row, its key matched case-insensitively."""
        return next((r for r in self.rows if r.place.upper() == key.upper()), None)


@dataclass(frozen=True)
class MetricPage:
    metric: MetricSpec
    assessment: Assessment
    grains: list[Grain]
    grain: Grain | None
    points: list[Point]
    rows: list[TableRow]  # the values table, citywide, at the chosen grain
    breakdowns: list[Breakdown]  # one per geography the metric declares and has values for, in declared order
    last_refresh: dt.datetime | None
    flagged: list[ValueRow]  # held out for review, or reviewed: every grain and place, citywide first
    partial: list[ValueRow]  # citywide periods the source covers only in part
    reviews: dict[tuple[str, dt.date, str, str], Review]
    sample: str | None  # what the sample is, when the source is one
    as_of: dt.date | None = None  # the page as it stood at the end of that day (None: now)
    restatements: tuple[RestatementNote, ...] = ()  # published figures replaced since, with the reasons

    def breakdown(self, geography: str) -> Breakdown | None:
        return next((b for b in self.breakdowns if b.geography == geography), None)


def metric_page(reads: Gate, viewer: Viewer, metric_id: str, query: Mapping[str, str], today: dt.date) -> MetricPage:
    """Read and shape the metric page (raises ``NotFound`` for unknown or hidden metrics and bad queries)."""
    metric = reads.metric(viewer, metric_id)
    fy_start = reads.registry.city.fiscal_year_start_month
    snapshot = reads.snapshot(viewer, today)
    day = as_of_day(query, today)
    moment = end_of_day(day, reads.zone) if day else None
    values = reads.values(viewer, metric_id, geography=CITY, as_of=moment)
    grains = grains_of(values)
    default = default_grain(metric, grains)
    grain_value = choice(query, "grain", [g.value for g in grains], default.value if default else None)
    grain = Grain(grain_value) if grain_value else None
    notes = restatements(reads, viewer, metric_id, as_of=moment)
    points = restated(metric, series(metric, values, grain, fy_start), grain, notes) if grain else []
    city = {(v.grain, v.period_start): v for v in values if v.geography == CITY}
    rows = [TableRow(CITY, reads.registry.city.name, p.label, p.value, city[(grain, p.start)].numerator,
                     city[(grain, p.start)].denominator, p.target, city[(grain, p.start)].note, city[(grain, p.start)])
            for p in points] if grain is not None else []
    source = reads.registry.sources.get(metric.computation.source)
    assessment = snapshot.assessments[metric.id] if day is None else assess(metric, values, city=reads.registry.city,
                                                                            today=day)
    held = [f.row for f in reads.questionable(viewer, metric_id)] if day is None else \
        [v for v in values if v.questionable]
    partial = sorted((v for v in city.values() if v.partial), key=_newest_first)
    return MetricPage(metric, assessment, grains, grain, points, rows,
                      breakdowns(reads, viewer, metric, moment), None if day else snapshot.last_success.get(metric.id),
                      sorted(held, key=_newest_first), partial, reads.reviews(viewer, metric_id),
                      source.coverage.sample if source else None, day, tuple(notes))


def restated(metric: MetricSpec, points: list[Point], grain: Grain, notes: list[RestatementNote]) -> list[Point]:
    """The points whose published figure was replaced, with the latest restatement's reason."""
    latest = {(n.grain, n.period_start): n for n in notes}
    out = []
    for p in points:
        note = latest.get((grain.value, p.start))
        out.append(p if note is None else dataclasses.replace(p, restated=(
            f"restated on {note.restated_at:%Y-%m-%d} from {format_value(note.old_value, metric.format, metric.unit)}"
            f" to {format_value(note.new_value, metric.format, metric.unit)}: {note.reason}")))
    return out


def as_of_day(query: Mapping[str, str], today: dt.date) -> dt.date | None:
    """The ``as_of`` day of the query (the page as it stood at that day's end); NotFound for a malformed or
    future one. Today is the current page."""
    text = query.get("as_of")
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise NotFound("This address asks for a date the page does not understand (use YYYY-MM-DD).") from None
    if day > today:
        raise NotFound("This address asks for the page on a day that has not come yet.")
    return None if day == today else day


def end_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The last moment of ``day`` in the city, in UTC (what the value store's history is kept in)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.UTC) \
        - dt.timedelta(microseconds=1)


def _newest_first(value: ValueRow) -> tuple[bool, int, int, str]:
    """Citywide first, then the latest period first, a month before the quarter and year that hold it."""
    return (value.geography != CITY, -value.end.toordinal(), MONTHS_IN[Grain(value.grain)], value.geo_key)


def breakdowns(reads: Gate, viewer: Viewer, metric: MetricSpec, as_of: dt.datetime | None = None) -> list[Breakdown]:
    """The latest breakdown of ``metric`` by each geography it declares that city.yaml knows."""
    found = (breakdown(reads, viewer, metric, g, as_of) for g in metric.geographies
             if g in reads.registry.city.geographies)
    return [b for b in found if b is not None]


def breakdown(reads: Gate, viewer: Viewer, metric: MetricSpec, geography: str,
              as_of: dt.datetime | None = None) -> Breakdown | None:
    """The latest period with values by ``geography``, at the coarsest grain the metric has (None without any)."""
    if geography not in metric.geographies or geography == CITY:
        return None
    places = reads.values(viewer, metric.id, geography=geography, as_of=as_of)
    fy_start = reads.registry.city.fiscal_year_start_month
    for grain in BREAKDOWN_GRAINS:
        at_grain = [v for v in places if v.grain == grain]
        if not at_grain:
            continue
        latest = max(v.period_start for v in at_grain)
        label = period_label(latest, grain, fy_start)
        rows = sorted((v for v in at_grain if v.period_start == latest), key=lambda v: key_order(v.geo_key))
        city = next((v.value for v in reads.values(viewer, metric.id, geography=CITY, as_of=as_of)
                     if v.grain == grain and v.period_start == latest), None)
        table = [TableRow(geography, r.geo_key, label, r.value, r.numerator, r.denominator, None, None, r)
                 for r in rows]
        return Breakdown(geography, reads.registry.city.geographies[geography].label, label, table, city)
    return None


def judged_areas(breakdown: Breakdown) -> list[TableRow]:
    """The area values comparisons rest on: those the gate does not hold out, or, when it holds out every
    one (a sample), all of them, shown for reference."""
    known = [r for r in breakdown.rows if r.value is not None]
    return [r for r in known if not r.source.questionable] or known


def area_reference(metric: MetricSpec, breakdown: Breakdown, sample: str | None,
                   geography: GeographySpec | None = None) -> tuple[float | None, str]:
    """What an area is compared with, and its label: the city's rate, or for counts, sums and stocks (which add
    up to the city) the average area of that geography, never the citywide total (see ``judged_areas``).

    Counted events are zero where none happened: with the geography's boundaries, the average is over every
    area it has (an area without a row counts as 0), not just the areas with events."""
    fmt = lambda v: format_value(v, metric.format, metric.unit)  # noqa: E731
    caveat = " (sample)" if sample else ""
    if not metric.additive:
        return breakdown.city_value, f"city {fmt(breakdown.city_value)}{caveat}"
    judged = judged_areas(breakdown)
    known = [r.value for r in judged if r.value is not None]
    areas = len(known)
    outlines = boundaries(geography) if geography else None
    if outlines and metric.kind and metric.kind.absent_is_zero:
        listed = {r.place.upper() for r in breakdown.rows}
        areas += len(set(outlines.names) - listed)  # areas with no event at all: zeros
    average = sum(known) / areas if known and areas else None
    if average is not None and metric.format is FormatType.COUNT:
        average = round(average)
    return average, f"average {breakdown.label.lower()} {fmt(average)}{caveat}"


def all_grains(reads: Gate, viewer: Viewer, metric_id: str, today: dt.date) -> list[MetricPage]:
    """The metric page at each of its grains (for the download of every value)."""
    first = metric_page(reads, viewer, metric_id, {}, today)
    return [metric_page(reads, viewer, metric_id, {"grain": g.value}, today) for g in first.grains] or [first]


def to_csv(pages: list[MetricPage]) -> str:
    """The pages' values tables, then each geography's latest breakdown once (the geography column says
    which), as one CSV (values raw: percent as 0–1
    fractions), with the quality gate's findings: whether each value counts for status, the flags and their
    reasons, where a partial period's data ends, the performance team's review, and whether it is a sample."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric_id", "metric", "geography", "place", "grain", "period", "value", "numerator",
                     "denominator", "target", "note", "used_for_status", "quality_flags", "quality_reasons",
                     "data_through", "review", "sample"])
    for page in pages:
        grain = GRAIN_NAMES[page.grain] if page.grain else ""
        for row in page.rows:
            writer.writerow([page.metric.id, _text(page.metric.title), row.geography, _text(row.place), grain,
                             row.period, _raw(row.value), _raw(row.numerator), _raw(row.denominator),
                             _raw(row.target), _text(row.note or ""), *_quality(page, row)])
    page = pages[0]
    for row in (r for b in page.breakdowns for r in b.rows):
        writer.writerow([page.metric.id, _text(page.metric.title), row.geography, _text(row.place),
                         GRAIN_NAMES[Grain(row.source.grain)], row.period,
                         _raw(row.value), _raw(row.numerator), _raw(row.denominator), "", "", *_quality(page, row)])
    return out.getvalue()


def _quality(page: MetricPage, row: TableRow) -> list[str]:
    value = row.source
    review = page.reviews.get(value.key) if value.verdict else None
    verdict = _text(f"{value.verdict.value}: {review.reason}") if review and value.verdict else ""  # no staff names
    return ["no" if value.questionable else "yes", ";".join(f.rule.value for f in value.flags),
            " | ".join(f"{f.rule.value}: {f.reason}" for f in value.flags),
            value.covered_through.isoformat() if value.covered_through else "", verdict, page.sample or ""]


def _text(value: str) -> str:
    """Text that a spreadsheet opening the CSV could take for a formula (a note typed as "=…") starts with a quote."""
    return f"'{value}" if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _raw(value: float | None) -> str:
    return "" if value is None else repr(value)


def chart_summary(page: MetricPage) -> str:
    """The trend chart in words (its text alternative)."""
    return series_summary(page.metric, page.points, GRAIN_NAMES[page.grain].lower() if page.grain else "period")
