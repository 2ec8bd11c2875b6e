"""Status that explains itself: pure functions from a metric's values and targets to a status and a sentence.

Rules (documented in the README):
- Only values the quality gate does not hold out count (``metrics.values.usable``), against targets on the
  values' scale (``metrics.quality.trusted``); what was left out is named in the sentence.
- *No data* without any value; *not judged* when every value is held out; *stale* when the last refresh
  failed or newer data is overdue (one period plus the city's reporting lag); *informational* without a
  direction or a target.
- Otherwise the fiscal year to date is compared with the year's target. Flows (quarters add up to the year)
  are judged on trajectory: the target pro-rated to the share of the year the data covers (a partial month
  counts by its days; held-out periods not at all). Rates and stocks are judged on their value. Near target
  = within 5 percentage points for percents, within 10% otherwise.
- A ratio with fewer than ``MIN_DENOMINATOR`` cases is informational (too few to judge).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from metrics.aggregations import PeriodTotal
from metrics.formatting import format_count, format_value
from metrics.periods import MONTHS_IN, fiscal_year, next_period_end, period_label
from metrics.quality import ReferenceFinding, trusted
from metrics.spec import City, Direction, FormatType, Frequency, Grain, MetricSpec
from metrics.values import CITY, QualityRule, ValueRow, Verdict
from metrics.year_to_date import YearToDate, period_words, year_earlier, year_to_date

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
    NOT_JUDGED = "not_judged"  # every value is held out by the quality gate (questionable, or a sample)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


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
    held_out: tuple[ValueRow, ...] = ()  # citywide values of the judged year or later that the gate held out
    references: tuple[ReferenceFinding, ...] = ()  # targets or baseline left out: on another scale
    period: str | None = None  # what the value covers: "FY2026 Q1–Q3, year to date"
    year_earlier: float | None = None  # the same stretch of the year before, when its data covers as much
    year_earlier_period: str | None = None


def near_band(metric: MetricSpec, scale: float) -> float:
    """How far from the target (or band) still counts as near: 5 points for percents, else 10% of ``scale``."""
    return NEAR_PERCENT_POINTS if metric.format is FormatType.PERCENT else abs(scale) * NEAR_RELATIVE


def staleness(metric: MetricSpec, data_through: dt.date, today: dt.date, city: City) -> dt.date | None:
    """The date newer data was due by, if that date has passed; else None."""
    lag = city.reporting_lag_days.get(metric.frequency, DEFAULT_LAG_DAYS[metric.frequency])
    due = next_period_end(data_through, metric.frequency) + dt.timedelta(days=lag)
    return due if today > due else None


def assess(metric: MetricSpec, values: list[ValueRow], *, city: City, today: dt.date,
           last_refresh_failed: dt.datetime | None = None) -> Assessment:
    """The metric's status, with the sentence that explains it."""
    fy_start = city.fiscal_year_start_month
    metric, references = trusted(metric, values)
    ytd = year_to_date(metric, values, fy_start)
    if ytd is None:
        return _unjudged(metric, values, fy_start, references)
    held = tuple(sorted((v for v in values if v.geography == CITY and v.questionable
                         and fiscal_year(v.period_start, fy_start) >= ytd.fiscal_year),
                        key=lambda v: (v.period_start, v.grain)))
    judged = _judge(metric, ytd)
    notes = _held_out_note(metric, held, fy_start) + _references_note(references)
    before = year_earlier(metric, values, fy_start, ytd)
    judged = dataclasses.replace(judged, sentence=judged.sentence + notes, held_out=held, references=references,
                                 period=period_words(ytd), year_earlier=before.value if before else None,
                                 year_earlier_period=period_words(before) if before else None)
    overdue = staleness(metric, ytd.data_through, today, city)
    if last_refresh_failed is None and overdue is None:
        return judged
    reason = (f"the last refresh failed on {last_refresh_failed:%Y-%m-%d}, so the values shown are the last good ones"
              if last_refresh_failed else
              f"newer {metric.frequency.value} data was due by {overdue:%Y-%m-%d}")
    if any(v.end > ytd.data_through for v in held):
        reason += ", and the figures reported since are held out as questionable"
    sentence = f"Stale: data through {ytd.data_through:%Y-%m-%d}; {reason}. Last reading — {judged.sentence}"
    return dataclasses.replace(judged, status=Status.STALE, sentence=sentence, judged_as=judged.status)


def _unjudged(metric: MetricSpec, values: list[ValueRow], fy_start: int,
              references: tuple[ReferenceFinding, ...]) -> Assessment:
    """No data at all, or only values the quality gate holds out: shown with why, never judged."""
    held = sorted((v for v in values if v.geography == CITY and v.questionable),
                  key=lambda v: (v.end, v.grain != Grain.FISCAL_YEAR))
    if not held:
        return Assessment(Status.NO_DATA, "No data yet: this measure has no reported or computed values.", "no data",
                          references=references)
    latest = held[-1]
    sentence = (f"Not judged: every value of this measure is held out by the quality gate. The latest, "
                f"{period_label(latest.period_start, Grain(latest.grain), fy_start)} "
                f"({shown_value(metric, latest)}): {why_held_out(latest)}.")
    return Assessment(Status.NOT_JUDGED, sentence, "quality gate", latest.value, data_through=latest.end,
                      held_out=tuple(held), references=references)


def _held_out_note(metric: MetricSpec, held: tuple[ValueRow, ...], fy_start: int) -> str:
    """The held-out values at their finest grain (a quarter that holds a held-out month says so itself)."""
    if not held:
        return ""
    finest = min((Grain(v.grain) for v in held), key=lambda g: MONTHS_IN[g])
    same: dict[tuple[str, str], list[str]] = {}
    for v in held:
        if v.grain == finest:
            same.setdefault((shown_value(metric, v), why_held_out(v)), []).append(
                period_label(v.period_start, finest, fy_start))
    shown = [f"{', '.join(periods)} ({value}: {why})" for (value, why), periods in same.items()]
    more = f"; and {len(shown) - 3} more" if len(shown) > 3 else ""
    return f" Not used for status, as questionable: {'; '.join(shown[:3])}{more}."


def why_held_out(value: ValueRow) -> str:
    """Why the value is held out, in words: the performance team's verdict, else the gate's first reason."""
    if value.verdict is Verdict.WRONG:
        return "marked wrong by the performance team"
    return value.held_out[0].reason if value.held_out else ""


def shown_value(metric: MetricSpec, value: ValueRow) -> str:
    """The value as pages show it; a percent on another scale also as the agency reported it."""
    if value.value is None:
        return "no number"
    text = format_value(value.value, metric.format, metric.unit)
    if metric.format is FormatType.PERCENT and any(f.rule is QualityRule.SCALE for f in value.flags):
        text += f", reported as {f'{value.value:,.4f}'.rstrip('0').rstrip('.')}"
    return text


def _references_note(references: tuple[ReferenceFinding, ...]) -> str:
    targets = [r for r in references if r.target is not None]
    return "".join(f" The {r.what} is not used: {r.reason}." for r in targets)


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
    if ytd.calendar:
        return Assessment(Status.INFORMATIONAL, f"Informational: {shown} in {ytd.label}; its values cover calendar "
                          "periods and targets are set per fiscal year, so it is shown, not judged; "
                          f"{through}.", "calendar periods", ytd.value, data_through=ytd.data_through)
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
