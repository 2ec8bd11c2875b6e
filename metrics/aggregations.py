"""Aggregation kinds: each kind is one object (its query parts, roll-up, requirements, description), listed in KINDS.

A kind declares the partial aggregates (``Part``) its grouped query returns per month and place. Parts add up
exactly across months and places, so every grain and the citywide value are rolled up from them without
touching a raw row again; the pipeline renders each part in SQL once, whatever kind asks for it. ``latest``
is the one kind that keeps readings instead of parts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

Parts = tuple[float, ...]
Rolled = tuple[float | None, float | None, float | None]  # value, numerator, denominator


class Aggregation(StrEnum):
    """How events in a period become one value."""

    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    RATIO = "ratio"  # count matching numerator_filters / count matching filters; both kept
    LATEST = "latest"  # the value of the latest row in the period
    CUMULATIVE_COUNT = "cumulative_count"  # running count of rows up to the period's end (a stock)


class PeriodTotal(StrEnum):
    """How a year's figure relates to its quarters or months."""

    SUM = "sum"  # a flow: the year is the sum of its parts (requests handled, dollars collected)
    AVERAGE = "average"  # a rate: the year is the average of its parts (percent on time)
    LATEST = "latest"  # a stock: the year is its last part (open notices at year end)


class Part(StrEnum):
    """A partial aggregate of a month and place: it adds up across months and places."""

    ROWS = "rows"  # rows matching the filters
    NUMERATOR_ROWS = "numerator_rows"  # of those, rows also matching numerator_filters
    VALUE_SUM = "value_sum"  # sum of the value (value_column or days_between) over the rows
    VALUE_COUNT = "value_count"  # rows with a value


@dataclass(frozen=True)
class AggregationKind:
    """What one aggregation needs from the registry and the query, and how its parts roll up to a period."""

    aggregation: Aggregation
    description: str  # plain language, shown under "How it is computed"
    parts: tuple[Part, ...]  # empty: the kind keeps the latest reading instead
    period_total: PeriodTotal
    additive: bool | None  # areas add up to the city; None: it depends on how the city's value is obtained
    needs_value: bool = False  # value_column or days_between
    needs_numerator: bool = False  # numerator_filters
    whole_numbers: bool = False  # every value is a whole number (a count)
    absent_is_zero: bool = False  # an area without any event has the value 0, not "no data"

    @property
    def readings(self) -> bool:
        """Whether the kind keeps each place's latest reading rather than adding parts up."""
        return not self.parts

    def months(self, months: Mapping[dt.date, Parts], last: dt.date) -> Mapping[dt.date, Parts]:
        """The month parts a period is rolled up from (a stock turns counts into running totals)."""
        return months

    def combine(self, parts: Sequence[Parts]) -> Rolled:
        """A period's value (with numerator and denominator for rates) from its months' parts, in month order."""
        raise NotImplementedError(self.aggregation)


class _Total(AggregationKind):
    def combine(self, parts: Sequence[Parts]) -> Rolled:
        return math.fsum(p[0] for p in parts), None, None


class _Mean(AggregationKind):
    def combine(self, parts: Sequence[Parts]) -> Rolled:
        total, count = math.fsum(p[0] for p in parts), math.fsum(p[1] for p in parts)
        return (total / count if count else None), None, None


class _Ratio(AggregationKind):
    def combine(self, parts: Sequence[Parts]) -> Rolled:
        numerator, denominator = math.fsum(p[0] for p in parts), math.fsum(p[1] for p in parts)
        return (numerator / denominator if denominator else None), numerator, denominator


class _Stock(AggregationKind):
    def months(self, months: Mapping[dt.date, Parts], last: dt.date) -> Mapping[dt.date, Parts]:
        """Monthly counts → the stock at each month's end through ``last``, months without events filled in (an
        area whose last event is years old still holds its stock)."""
        out: dict[dt.date, Parts] = {}
        total, month = 0.0, min(months)
        while month <= last:
            total += months.get(month, (0.0,))[0]
            out[month] = (total,)
            month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return out

    def combine(self, parts: Sequence[Parts]) -> Rolled:
        return parts[-1][0], None, None  # the stock at the period's last month


class _Latest(AggregationKind):
    pass


KINDS: Mapping[Aggregation, AggregationKind] = {kind.aggregation: kind for kind in (
    _Total(Aggregation.COUNT, "Count of records", (Part.ROWS,), PeriodTotal.SUM, additive=True,
           whole_numbers=True, absent_is_zero=True),
    _Total(Aggregation.SUM, "Sum of the values", (Part.VALUE_SUM,), PeriodTotal.SUM, additive=True,
           needs_value=True, absent_is_zero=True),
    _Mean(Aggregation.MEAN, "Average of the values", (Part.VALUE_SUM, Part.VALUE_COUNT), PeriodTotal.AVERAGE,
          additive=False, needs_value=True),
    _Ratio(Aggregation.RATIO, "Share of records meeting the condition (both counts kept)",
           (Part.NUMERATOR_ROWS, Part.ROWS), PeriodTotal.AVERAGE, additive=False, needs_numerator=True),
    _Latest(Aggregation.LATEST, "Latest reading in the period", (), PeriodTotal.LATEST, additive=None,
            needs_value=True),
    _Stock(Aggregation.CUMULATIVE_COUNT, "Running count of records to the period's end", (Part.ROWS,),
           PeriodTotal.LATEST, additive=True, whole_numbers=True, absent_is_zero=True),
)}
