"""Roll-ups: status counts and a CityScore-style score per goal, pillar, agency, service and the city."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import fmean

from metrics.registry import Registry
from metrics.spec import MetricSpec
from metrics.status import Assessment, Status
from metrics.values import CITY


class Level(StrEnum):
    """What a roll-up groups metrics by; the city level has one group, keyed ``city``."""

    CITY = CITY
    PILLAR = "pillar"
    GOAL = "goal"
    AGENCY = "agency"
    SERVICE = "service"


@dataclass(frozen=True)
class Summary:
    """Status counts and the mean score of the metrics under one heading.

    A stale metric is counted by its last reading (on track, near, off track, …) and also in ``stale``,
    so a pillar whose data is late still shows how it stood.
    """

    metrics: int
    counts: Counter[Status] = field(default_factory=Counter)
    stale: int = 0
    score: float | None = None  # mean of the metrics' scores (1.0 = at target); None if none is scored

    def count(self, status: Status) -> int:
        return self.counts.get(status, 0)


def summarize(assessments: Iterable[Assessment]) -> Summary:
    items = list(assessments)
    scores = [a.score for a in items if a.score is not None]
    return Summary(len(items), Counter(a.judged_as or a.status for a in items),
                   sum(1 for a in items if a.status is Status.STALE), fmean(scores) if scores else None)


def roll_up(registry: Registry, metrics: Iterable[MetricSpec], assessments: Mapping[str, Assessment],
            level: Level) -> dict[str, Summary]:
    """Summaries keyed by the id of the ``level`` (goal, pillar, agency, service or city) of each metric."""
    groups: dict[str, list[Assessment]] = {}
    for metric in metrics:
        for key in _keys(registry, metric, level):
            groups.setdefault(key, []).append(assessments[metric.id])
    return {key: summarize(items) for key, items in groups.items()}


def _keys(registry: Registry, metric: MetricSpec, level: Level) -> list[str]:
    match level:
        case Level.CITY:
            return [CITY]
        case Level.PILLAR:
            pillar = registry.pillar_of(metric)
            return [pillar] if pillar else []
        case Level.GOAL:
            return [metric.goal] if metric.goal else []
        case Level.AGENCY:
            return [metric.agency]
        case Level.SERVICE:
            return list(metric.services)

