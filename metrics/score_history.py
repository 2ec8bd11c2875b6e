"""Score history: the city's and each pillar's score at the end of each recent fiscal quarter, judged with the
values in hand that day, so a resident sees whether things are getting better, not only where they stand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from metrics.periods import fiscal_quarter, fiscal_year, period_end
from metrics.registry import Registry
from metrics.scores import Level, Summary, roll_up
from metrics.spec import Grain, MetricSpec
from metrics.status import Assessment, assess
from metrics.values import CITY, ValueRow

QUARTERS = 8  # two years of quarter ends, then today


class Basis(StrEnum):
    """Where a point's values come from."""

    PUBLISHED = "published"  # the values the site held at that moment (the store's as-of history)
    RECONSTRUCTED = "reconstructed"  # before the store's history began: today's values of the periods then ended
    CURRENT = "current"  # today's values: the score the pages show now


@dataclass(frozen=True)
class ScorePoint:
    """The scores on one day: ``scores`` by level key (``city``, and each pillar's id)."""

    day: dt.date
    label: str  # "FY2026 Q2" for a quarter's end, "Now" for today
    basis: Basis
    scores: dict[str, Summary]


def quarter_ends(today: dt.date, fy_start: int, count: int = QUARTERS) -> list[dt.date]:
    """The last ``count`` fiscal-quarter ends before ``today``, oldest first."""
    month_index = today.year * 12 + today.month - 1
    month_index -= (month_index - (fy_start - 1)) % 3 + 1  # the last month of the previous quarter
    ends = []
    for _ in range(count):
        year, month = divmod(month_index, 12)
        ends.append(period_end(dt.date(year, month + 1, 1), Grain.MONTH))
        month_index -= 3
    return ends[::-1]


def quarter_label(day: dt.date, fy_start: int) -> str:
    return f"FY{fiscal_year(day, fy_start)} Q{fiscal_quarter(day, fy_start)}"


def in_hand(values: Iterable[ValueRow], day: dt.date) -> list[ValueRow]:
    """The values of periods that had ended by ``day`` (a period still running that day had no value yet)."""
    return [v for v in values if v.period_end <= day]


def judged_on(registry: Registry, metrics: Iterable[MetricSpec], values: Mapping[str, list[ValueRow]],
              day: dt.date) -> dict[str, Assessment]:
    """Each metric judged with its citywide ``values`` as of ``day``."""
    return {m.id: assess(m, [v for v in values.get(m.id, ()) if v.geography == CITY], city=registry.city, today=day)
            for m in metrics}


def summaries_of(registry: Registry, metrics: list[MetricSpec], assessments: Mapping[str, Assessment]
                 ) -> dict[str, Summary]:
    """The city's and each pillar's summary of ``metrics``."""
    return {**roll_up(registry, metrics, assessments, Level.CITY), **roll_up(registry, metrics, assessments,
                                                                              Level.PILLAR)}
