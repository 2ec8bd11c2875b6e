"""What a CitiStat session is about (an agency, a pillar or a council district) and its frozen view of the data.

A session reads values as they stood when it was frozen and keeps only periods that ended by its data
cutoff. A district session reads each measure's values for that district; a citywide target applies there
only to rates and averages, never to counts, sums or stocks, which add up to the city's total.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from metrics.periods import period_end
from metrics.registry import Registry
from metrics.spec import Grain, MetricSpec
from metrics.values import CITY, ValueRow


class SubjectKind(StrEnum):
    AGENCY = "agency"
    PILLAR = "pillar"
    DISTRICT = "district"


class SubjectError(ValueError):
    """An unknown or malformed subject; the message names it."""


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str

    @classmethod
    def parse(cls, text: str, registry: Registry) -> Subject:
        """``agency:DPW``, ``pillar:2`` or ``district:9``; raises ``SubjectError`` for anything else."""
        kind, _, key = text.partition(":")
        if kind not in SubjectKind.__members__.values() or not key:
            raise SubjectError(f"'{text}' is not a subject: use agency:<id>, pillar:<id> or district:<number>")
        subject = cls(SubjectKind(kind), key)
        subject.label(registry)
        return subject

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}"

    def label(self, registry: Registry) -> str:
        if self.kind is SubjectKind.AGENCY and self.id in registry.agencies:
            return registry.agencies[self.id].name
        if self.kind is SubjectKind.PILLAR and self.id in registry.pillars:
            return f"Pillar {self.id}: {registry.pillars[self.id].name}"
        geography = registry.city.district_geography
        if self.kind is SubjectKind.DISTRICT and geography and geography.boundaries \
                and self.id in _district_keys(geography.boundaries_path, geography.key_property):
            return f"{geography.label} {self.id}"
        raise SubjectError(f"no {self.kind.value} '{self.id}' in the registry")


def subject_choices(registry: Registry) -> list[tuple[str, str]]:
    """(key, label) of every subject a session can take, agencies first (those with measures: a session on an
    agency with none would have nothing to review)."""
    measured = {m.agency for m in registry.metrics.values()}
    choices = sorted(((f"agency:{a.id}", a.name) for a in registry.agencies.values() if a.id in measured),
                     key=lambda c: c[1])
    choices += [(f"pillar:{p}", Subject(SubjectKind.PILLAR, p).label(registry)) for p in registry.pillars]
    geography = registry.city.district_geography
    if geography and geography.boundaries:
        choices += [(f"district:{key}", f"{geography.label} {key}")
                    for key in sorted(_district_keys(geography.boundaries_path, geography.key_property), key=_in_order)]
    return choices


def _in_order(key: str) -> tuple[int, int, str]:
    """Numbered districts by number (2 before 10), then named ones by name."""
    return (0, int(key), "") if key.isdecimal() else (1, 0, key.casefold())


@functools.cache
def _district_keys(boundaries: Path | None, key_property: str) -> tuple[str, ...]:
    if boundaries is None:
        return ()
    features = json.loads(boundaries.read_text())["features"]
    return tuple(str(f["properties"][key_property]) for f in features)


def subject_metrics(registry: Registry, subject: Subject, metrics: Iterable[MetricSpec]) -> list[MetricSpec]:
    """The measures a session on ``subject`` reviews, among ``metrics`` (those the viewer may see)."""
    if subject.kind is SubjectKind.AGENCY:
        return [m for m in metrics if m.agency == subject.id]
    if subject.kind is SubjectKind.PILLAR:
        return [m for m in metrics if registry.pillar_of(m) == subject.id]
    return [m for m in metrics if registry.city.districts in m.geographies]


def cut_off(values: Iterable[ValueRow], cutoff: dt.date) -> list[ValueRow]:
    """Only the periods that ended on or before ``cutoff``."""
    return [v for v in values if period_end(v.period_start, Grain(v.grain)) <= cutoff]


def as_subject(subject: Subject | None, metric: MetricSpec, values: list[ValueRow], *, districts: str | None
               ) -> tuple[MetricSpec, list[ValueRow]]:
    """The metric and values a session on ``subject`` judges: a district's own series, read as its 'city' series.

    ``None`` (a measure from outside the subject) and agency or pillar subjects judge the citywide series.
    """
    if subject is None or subject.kind is not SubjectKind.DISTRICT:
        return metric, [v for v in values if v.geography == CITY]
    rows = [dataclasses.replace(v, geography=CITY, geo_key="")
            for v in values if v.geography == districts and v.geo_key == subject.id]
    if metric.additive:
        metric = metric.model_copy(update={"targets": (), "baseline": None})
    return metric, rows

