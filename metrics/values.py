"""A metric's values as the domain sees them: one per period and place, with the quality gate's flags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from metrics.periods import MONTHS_IN, add_months, period_end
from metrics.spec import Grain

CITY = "city"
"""Geography name of the citywide value; its key is the empty string."""


class QualityRule(StrEnum):
    """The quality gate's rules (``metrics.quality``). Every rule but ``partial`` holds a value out of judgements."""

    SCALE = "scale"  # a percent outside its range, or a value on another scale than the metric's
    IMPOSSIBLE = "impossible"  # not a number, infinite, a negative or fractional count
    NOT_REPORTED = "not_reported"  # exactly zero after a run of non-zero values
    OUTLIER = "outlier"  # far outside the band of the metric's own history
    SAMPLE = "sample"  # computed from a sample of the source's records, not all of them
    PARTIAL = "partial"  # the source does not cover the whole period: judged against the pro-rated target
    INCOMPLETE = "incomplete"  # the period began before the source's data does: its first part is missing

    @property
    def label(self) -> str:
        return RULE_LABELS[self]

    @property
    def holds_out(self) -> bool:
        """Whether a value with this flag is kept out of status, scores, roll-ups, projections and agendas."""
        return self is not QualityRule.PARTIAL

    @property
    def reviewable(self) -> bool:
        """Whether the performance team checks a value flagged so with its agency: not a sample's, nor a period
        before the source begins (the source says what it holds; there is nothing to ask)."""
        return self.holds_out and self not in (QualityRule.SAMPLE, QualityRule.INCOMPLETE)


RULE_LABELS = {
    QualityRule.SCALE: "Wrong scale",
    QualityRule.IMPOSSIBLE: "Impossible value",
    QualityRule.NOT_REPORTED: "Likely not reported",
    QualityRule.OUTLIER: "Outlier",
    QualityRule.SAMPLE: "Sample",
    QualityRule.PARTIAL: "Partial period",
    QualityRule.INCOMPLETE: "Before the data begins",
}


class Verdict(StrEnum):
    """What the performance team decided about a flagged value, after checking with the agency."""

    CONFIRMED = "confirmed"  # correct as reported: it counts again
    WRONG = "wrong"  # wrong: it stays out of every judgement

    @property
    def label(self) -> str:
        return "Confirmed correct" if self is Verdict.CONFIRMED else "Marked wrong"


@dataclass(frozen=True)
class Flag:
    """One rule's finding on a value, with its reason in words and numbers."""

    rule: QualityRule
    reason: str


@dataclass(frozen=True)
class ValueRow:
    """One value of a metric for a period and a place (``geography`` "city" with key "" is citywide).

    ``flags`` come from the quality gate at refresh and are stored with the value; ``covered_through`` is the
    last day the source covers when that is before the period's end; ``verdict`` is the performance team's
    review, attached when the value is read.
    """

    grain: str
    period_start: dt.date
    geography: str
    geo_key: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = None
    flags: tuple[Flag, ...] = ()
    covered_through: dt.date | None = None
    verdict: Verdict | None = None

    @property
    def key(self) -> tuple[str, dt.date, str, str]:
        return (self.grain, self.period_start, self.geography, self.geo_key)

    @cached_property  # judging a city's metrics asks these millions of times
    def period_end(self) -> dt.date:
        """The period's last day, whatever the data covers."""
        return period_end(self.period_start, Grain(self.grain))

    @cached_property
    def end(self) -> dt.date:
        """The last day the value covers: the period's end, or where the source's data stops."""
        return self.covered_through or self.period_end

    @property
    def partial(self) -> bool:
        return self.covered_through is not None

    @property
    def months_covered(self) -> float:
        """How many months of data the value holds (a partial month counts by its days)."""
        whole = MONTHS_IN[Grain(self.grain)]
        if self.covered_through is None:
            return float(whole)
        through = self.covered_through
        month_start = dt.date(through.year, through.month, 1)
        full = (month_start.year - self.period_start.year) * 12 + month_start.month - self.period_start.month
        days_in_month = (add_months(month_start, 1) - month_start).days
        return min(float(whole), full + through.day / days_in_month)

    @property
    def held_out(self) -> tuple[Flag, ...]:
        """The flags that keep this value out of judgements (none once the performance team confirmed it)."""
        if not self.flags or self.verdict is Verdict.CONFIRMED:
            return ()
        return tuple(f for f in self.flags if f.rule.holds_out)

    @property
    def questionable(self) -> bool:
        """Kept out of every status, score, roll-up, projection and agenda reason (asked millions of times when a
        city's metrics are judged: most values have no flag and no verdict, the first test)."""
        if not self.flags:
            return self.verdict is Verdict.WRONG
        return self.verdict is Verdict.WRONG or bool(self.held_out)


def usable(values: list[ValueRow]) -> list[ValueRow]:
    """The values judgements may rest on: known, and not held out by the quality gate."""
    return [v for v in values if v.value is not None and not v.questionable]
