"""The data call's rules: reporting periods, entry states, which measures are due, how an entry is checked as it
is typed (its reading, the quality rules, when a note is required) and what blocks publishing a fiscal year.

A data call asks agencies for one period: a fiscal quarter (the measures reported quarterly, and twice-yearly
ones in Q2 and Q4) or a fiscal year (every reported measure's annual actual).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from metrics.formatting import format_value
from metrics.periods import add_months, fiscal_year, fiscal_year_start, period_end, period_label
from metrics.quality import Coverage, check
from metrics.spec import ComputationKind, Direction, FormatType, Frequency, Grain, MetricSpec, Target
from metrics.targets import target_for
from metrics.typed_figures import Figure, FigureError, read_count, read_figure
from metrics.values import CITY, Flag, ValueRow, usable

SHARP_CHANGE = 0.25  # a move of a quarter or more against the comparison period needs a note …
SHARP_POINTS = 0.10  # … or, for a percent, of ten percentage points or more
PERCENT_TOLERANCE = 0.0005  # a typed percent may differ from numerator / denominator by rounding (0.05 points)
_PERIOD = re.compile(r"\s*(?:FY)?\s*(\d{4})\s*(?:[-\s]?Q([1-4]))?\s*", re.IGNORECASE)


class EntryState(StrEnum):
    """Where one measure's figure stands in a data call."""

    NOT_STARTED = "not_started"
    DRAFT = "draft"  # saved by the agency, not yet sent
    SUBMITTED = "submitted"  # sent to the performance team for review
    RETURNED = "returned"  # sent back by the performance team, with the reason
    ACCEPTED = "accepted"  # reviewed and accepted: published unless the publish gate holds it

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


OUTSTANDING = frozenset({EntryState.NOT_STARTED, EntryState.DRAFT, EntryState.RETURNED})  # overdue past the due date
EDITABLE = frozenset({*OUTSTANDING, EntryState.SUBMITTED})  # an agency may still change (a submitted one returns
# to draft)


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    """A fiscal quarter (``quarter`` 1–4) or a whole fiscal year (``quarter`` None)."""

    fiscal_year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, text: str) -> ReportingPeriod:
        """``FY2026 Q4``, ``2026-Q4`` or ``FY2026``; ValueError otherwise."""
        found = _PERIOD.fullmatch(text or "")
        if not found or not 1900 < int(found.group(1)) < 2200:
            raise ValueError(f"'{(text or '')[:20]}' is not a fiscal period (write FY2026 Q4, or FY2026 for the year)")
        return cls(int(found.group(1)), int(found.group(2)) if found.group(2) else None)

    @classmethod
    def of(cls, grain: Grain, start: dt.date, fy_start: int) -> ReportingPeriod:
        year = fiscal_year(start, fy_start)
        return cls(year, None if grain is Grain.FISCAL_YEAR else (start.month - fy_start) % 12 // 3 + 1)

    @property
    def grain(self) -> Grain:
        return Grain.FISCAL_YEAR if self.quarter is None else Grain.FISCAL_QUARTER

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year}" + (f" Q{self.quarter}" if self.quarter else "")

    @property
    def code(self) -> str:
        """The period's name within its year: ``Q1``–``Q4``, or ``FY`` for the year."""
        return f"Q{self.quarter}" if self.quarter else "FY"

    def start(self, fy_start: int) -> dt.date:
        return add_months(fiscal_year_start(self.fiscal_year, fy_start), 3 * ((self.quarter or 1) - 1))

    def end(self, fy_start: int) -> dt.date:
        return period_end(self.start(fy_start), self.grain)

    def a_year_before(self) -> ReportingPeriod:
        return ReportingPeriod(self.fiscal_year - 1, self.quarter)


def due_in(metric: MetricSpec, period: ReportingPeriod) -> bool:
    """Whether a reported measure has a figure due for ``period``."""
    if metric.computation.kind is not ComputationKind.REPORTED:
        return False
    if period.quarter is None:
        return True
    if metric.frequency is Frequency.SEMIANNUAL:
        return period.quarter in (2, 4)
    return metric.frequency is not Frequency.ANNUAL


@dataclass(frozen=True)
class EntryCheck:
    """What a typed entry means before it is saved: its reading, refusals by field, the quality rules' findings
    and why a note is required."""

    value: Figure
    numerator: Figure
    denominator: Figure
    errors: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    note_reasons: tuple[str, ...] = ()
    derived: str | None = None  # "60% = 3 / 5" when the value comes from the numerator and denominator

    @property
    def usable(self) -> bool:
        return not self.errors and self.value.value is not None

    def row(self, period: ReportingPeriod, fy_start: int, note: str | None = None) -> ValueRow:
        return ValueRow(period.grain, period.start(fy_start), CITY, "", self.value.value, self.numerator.value,
                        self.denominator.value, note or None)


EMPTY = Figure(None, "", "")


def check_entry(metric: MetricSpec, period: ReportingPeriod, fy_start: int, *, value: object, numerator: object = None,
                denominator: object = None, history: list[ValueRow] | None = None) -> EntryCheck:
    """Read and check one entry against the measure's published history (its citywide values)."""
    errors: list[str] = []

    def read(field: str, raw: object, as_count: bool = True) -> Figure:
        try:
            return read_count(raw, field) if as_count else read_figure(raw, metric.format, metric.unit)
        except FigureError as exc:
            errors.append(str(exc) if as_count else f"{field}: {exc}")
            return EMPTY

    figure = read("Value", value, as_count=False)
    num, den = read("Numerator", numerator), read("Denominator", denominator)
    figure, derived = _with_parts(metric, figure, num, den, errors)
    if errors or figure.value is None:
        return EntryCheck(figure, num, den, tuple(errors), derived=derived)
    candidate = EntryCheck(figure, num, den, derived=derived).row(period, fy_start)
    series = [v for v in (history or []) if v.geography == CITY and v.key != candidate.key]
    checked = check(metric, [*series, candidate], Coverage(), fy_start)
    flags = next(r.flags for r in checked if r.key == candidate.key)
    reasons = note_reasons(metric, period, fy_start, figure.value, series, flags)
    return EntryCheck(figure, num, den, (), flags, reasons, derived)


def _with_parts(metric: MetricSpec, figure: Figure, num: Figure, den: Figure, errors: list[str]
                ) -> tuple[Figure, str | None]:
    """A percent's value follows from its numerator and denominator when both are given; they must agree."""
    if (num.value is None) != (den.value is None):
        errors.append(f"{'Denominator' if den.value is None else 'Numerator'}: give both the numerator and the "
                      "denominator, or neither")
        return figure, None
    if num.value is None or den.value is None:
        return figure, None
    if den.value == 0:
        errors.append("Denominator: cannot be 0")
        return figure, None
    if num.value < 0 or den.value < 0:
        errors.append("Numerator and denominator: counts cannot be negative")
        return figure, None
    if metric.format is not FormatType.PERCENT:
        return figure, None
    share = num.value / den.value
    derived = f"{format_value(share, metric.format)} = {num.shown} / {den.shown}"
    if figure.value is None:
        return Figure(share, format_value(share, metric.format), ""), derived
    if abs(figure.value - share) > PERCENT_TOLERANCE:
        errors.append(f"Value: {figure.shown} does not match the numerator and denominator ({derived})")
    return figure, derived


def note_reasons(metric: MetricSpec, period: ReportingPeriod, fy_start: int, value: float,
                 history: list[ValueRow], flags: tuple[Flag, ...] = ()) -> tuple[str, ...]:
    """Why this figure needs a note: it misses its target, moves sharply, or a quality rule flags it."""
    reasons = [f"{f.rule.label.lower()}: {f.reason}" for f in flags if f.rule.holds_out]
    start = period.start(fy_start)
    target = target_for(metric, period.grain, start, fy_start)
    if target is not None and _misses(metric, value, target):
        reasons.append(f"it misses the {period.label} target of {format_value(target, metric.format, metric.unit)}")
    elif metric.direction is Direction.MAINTAIN and metric.band and not metric.band.lower <= value <= metric.band.upper:
        reasons.append(f"it is outside the band of {format_value(metric.band.lower, metric.format)}–"
                       f"{format_value(metric.band.upper, metric.format)}")
    before = _comparison(history, period, fy_start)
    if before is not None and before.value is not None:
        was = format_value(before.value, metric.format, metric.unit)
        when = period_label(before.period_start, grain=period.grain, start_month=fy_start)
        if metric.format is FormatType.PERCENT:
            if abs(value - before.value) >= SHARP_POINTS:
                reasons.append(f"it moves {abs(value - before.value) * 100:.0f} points from {was} in {when}")
        elif (change := abs(value - before.value) / abs(before.value) if before.value else float(value != 0)) \
                >= SHARP_CHANGE:
            reasons.append(f"it moves {change:.0%} from {was} in {when}")
    return tuple(reasons)


def _misses(metric: MetricSpec, value: float, target: float) -> bool:
    if metric.direction is Direction.INCREASE:
        return value < target
    if metric.direction is Direction.DECREASE:
        return value > target
    return False


def _comparison(history: list[ValueRow], period: ReportingPeriod, fy_start: int) -> ValueRow | None:
    """The same period a year before (seasons repeat), else the latest earlier one of the same grain."""
    same_grain = sorted((v for v in usable(history) if v.grain == period.grain and v.geography == CITY),
                        key=lambda v: v.period_start)
    year_before = period.a_year_before().start(fy_start)
    earlier = [v for v in same_grain if v.period_start < period.start(fy_start)]
    return next((v for v in earlier if v.period_start == year_before), earlier[-1] if earlier else None)


@dataclass(frozen=True)
class PriorActual:
    """A measure's figure for a whole fiscal year, with its note."""

    value: float | None
    note: str | None


def publish_blockers(metric: MetricSpec, year: int, prior: PriorActual | None, target: Target | None, *,
                     new: bool) -> tuple[str, ...]:
    """What keeps a measure's figures for fiscal ``year`` from being published: the prior year's actual and its
    note, the year's target and its note. A new measure (no figure before ``year``) needs no prior actual; an
    informational one (no better direction) no target."""
    blockers = []
    if not new:
        if prior is None or prior.value is None:
            blockers.append(f"the FY{year - 1} actual is missing")
        elif not (prior.note or "").strip():
            blockers.append(f"the FY{year - 1} actual has no note")
    if metric.direction is not Direction.NONE:
        if target is None:
            blockers.append(f"the FY{year} target is missing")
        elif not (target.note or "").strip():
            blockers.append(f"the FY{year} target has no note")
    return tuple(blockers)


def with_targets(metric: MetricSpec, approved: tuple[Target, ...]) -> MetricSpec:
    """The metric with approved targets in place of the registry's for the same fiscal year and quarter."""
    if not approved:
        return metric
    replaced = {(t.fiscal_year, t.quarter) for t in approved}
    kept = tuple(t for t in metric.targets if (t.fiscal_year, t.quarter) not in replaced)
    return metric.model_copy(update={"targets": tuple(sorted((*kept, *approved),
                                                              key=lambda t: (t.fiscal_year, t.quarter or 0)))})
