"""How severe a suggested measure is, so a CitiStat agenda takes the worst first.

    severity = impact × gap × (1 + 0.25 × (missed cycles in a row − 1, at most 4)) × trend

- **gap**: how far the latest usable cycle falls short of its target, as a share of the target (0.2 is 20%
  short), at most 1; for a percent, in points (60% against 75% is 0.15); a zero target missed is 1. The projected
  year-end's shortfall when that is larger and the year is projected to miss widely.
- **missed cycles in a row**: each missed cycle after the first adds a quarter of the gap, up to doubling it (a
  small miss stays small however long it lasts).
- **trend**: 1.25 when the latest cycle moved away from the target, 0.8 when it moved toward it, else 1.
- **impact**: the registry's resident-impact weight of the measure (``impact``, default 1).
- A measure suggested only because its data is stale scores 0.05 × impact: after every real miss.

No part rests on a value the quality gate holds out (those cycles are passed over, as in the escalation rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from metrics.escalation import Projection, Suggestion, cycle_grain, misses, recent
from metrics.periods import period_label
from metrics.spec import Direction, FormatType, MetricSpec
from metrics.targets import target_for
from metrics.values import CITY, ValueRow, usable

MAX_GAP = 1.0
PER_EXTRA_MISS = 0.25
MAX_PERSISTENCE = 1.0
STALE_ONLY = 0.05


class Trend(StrEnum):
    WORSENING = "worsening"  # the latest cycle moved away from the target
    IMPROVING = "improving"  # it moved toward the target
    STEADY = "steady"  # it did not move, or there is nothing to compare

    @property
    def factor(self) -> float:
        return {Trend.WORSENING: 1.25, Trend.IMPROVING: 0.8, Trend.STEADY: 1.0}[self]


@dataclass(frozen=True)
class Ranked:
    """A suggestion with its severity, in agenda order."""

    suggestion: Suggestion
    severity: Severity


@dataclass(frozen=True)
class Severity:
    score: float
    gap: float | None  # the shortfall as a share of the target
    streak: int
    trend: Trend
    words: str  # "23% short of target, 3 cycles in a row, getting worse"


def rank(suggestions: Iterable[Suggestion], values: Mapping[str, list[ValueRow]], fy_start: int,
         since: dt.date | None = None) -> list[Ranked]:
    """The suggestions, most severe first (ties: more reasons, then the title), judged on data since ``since``."""
    ranked = [Ranked(s, severity(s.metric, recent(values.get(s.metric.id, []), since), s.streak, s.projection,
                                 fy_start)) for s in suggestions]
    return sorted(ranked, key=lambda r: (-r.severity.score, -len(r.suggestion.reasons), r.suggestion.metric.title))


def severity(metric: MetricSpec, values: list[ValueRow], streak: int, projection: Projection | None,
             fy_start: int) -> Severity:
    """The severity of a measure the rule suggests (see the module's formula)."""
    cycles = [v for v in usable(values) if v.geography == CITY and not v.partial]
    grain = cycle_grain(metric, values) if cycles else None
    judged = sorted((v for v in cycles if v.grain == grain), key=lambda v: v.period_start)
    gap = _gap(metric, judged[-1], target_for(metric, grain, judged[-1].period_start, fy_start)) \
        if judged and grain else None
    base = f"{period_label(judged[-1].period_start, grain, fy_start)}: " if judged and grain else ""
    if projection is not None and projection.misses_widely:
        projected = _shortfall(metric, projection.value, projection.target)
        if projected and projected > (gap or 0.0):
            gap, base = projected, "year-end projection: "
    trend = _trend(metric, judged)
    persistence = min(PER_EXTRA_MISS * max(streak - 1, 0), MAX_PERSISTENCE)
    if not gap and not streak:
        return Severity(STALE_ONLY * metric.impact, None, 0, trend, "no usable recent figure: newer data is overdue")
    score = metric.impact * (gap or 0.0) * (1 + persistence) * trend.factor
    if gap is None:
        off = "on or near target now"
    else:
        points = round(gap * 100)
        size = f"{points} point{'s' if points != 1 else ''}" if metric.format is FormatType.PERCENT else f"{gap:.0%}"
        off = f"{base}{size} off its target"  # which figure and which target the gap is of
    words = [off,
             *([f"{streak} cycles missed in a row"] if streak > 1 else []),
             *(["getting worse"] if trend is Trend.WORSENING else ["improving"] if trend is Trend.IMPROVING else []),
             *([f"resident impact ×{metric.impact:g}"] if metric.impact != 1 else [])]
    return Severity(score, gap, streak, trend, ", ".join(words))


def _gap(metric: MetricSpec, latest: ValueRow, target: float | None) -> float | None:
    if target is None or latest.value is None or not misses(metric, latest.value, target):
        return None
    return _shortfall(metric, latest.value, target)


def _shortfall(metric: MetricSpec, value: float, target: float) -> float | None:
    short = (target - value) if metric.direction is Direction.INCREASE else (value - target)
    if metric.format is FormatType.PERCENT:
        return min(max(short, 0.0), MAX_GAP) or None  # in points: 60% against 75% is 0.15
    if not target:
        return MAX_GAP if short > 0 else None  # any miss of a zero target (fatal fires) is a whole miss
    return min(max(short / abs(target), 0.0), MAX_GAP) or None


def _trend(metric: MetricSpec, judged: list[ValueRow]) -> Trend:
    if len(judged) < 2 or judged[-1].value is None or judged[-2].value is None:
        return Trend.STEADY
    moved = judged[-1].value - judged[-2].value
    better = moved > 0 if metric.direction is Direction.INCREASE else moved < 0 \
        if metric.direction is Direction.DECREASE else None
    if not moved or better is None:
        return Trend.STEADY
    return Trend.IMPROVING if better else Trend.WORSENING
