"""The open-data records: registry objects, statuses, scores and values as the public sees them, read through the
gate as an anonymous viewer, so an internal measure can never appear however the API is called."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from dashboard.api import models
from dashboard.area_data import areas
from data.access import Gate
from data.policy import Viewer
from metrics.periods import period_end, period_label
from metrics.scores import Level, Summary
from metrics.spec import Grain, MetricSpec
from metrics.status import Assessment
from metrics.values import CITY, ValueRow

PUBLIC = Viewer()  # the API answers everyone alike, signed in or not: it is the public's data


def _scored(summary: Summary | None) -> dict[str, object]:
    if summary is None:
        return {"measures": 0, "status_counts": {}, "stale": 0, "score": None}
    return {"measures": summary.metrics, "stale": summary.stale, "score": summary.score,
            "status_counts": {status.value: count for status, count in sorted(summary.counts.items())}}


def pillars(reads: Gate, today: dt.date) -> list[models.Pillar]:
    registry, summaries = reads.registry, reads.summaries(PUBLIC, today, Level.PILLAR)
    return [models.Pillar(id=p.id, name=p.name, summary=p.summary, page=f"/pillars/{p.id}",
                          goals=[g.id for g in registry.goals.values() if g.pillar == p.id],
                          **_scored(summaries.get(p.id)))
            for p in sorted(registry.pillars.values(), key=lambda p: (p.sort_order, p.id))]


def goals(reads: Gate, today: dt.date) -> list[models.Goal]:
    summaries = reads.summaries(PUBLIC, today, Level.GOAL)
    return [models.Goal(id=g.id, pillar=g.pillar, title=g.title, lead=g.lead, initiatives=list(g.initiatives),
                        page=f"/goals/{g.id}", **_scored(summaries.get(g.id)))
            for g in sorted(reads.registry.goals.values(), key=lambda g: (g.pillar, g.sort_order, g.id))]


def agencies(reads: Gate, today: dt.date) -> list[models.Agency]:
    registry, summaries = reads.registry, reads.summaries(PUBLIC, today, Level.AGENCY)
    return [models.Agency(id=a.id, name=a.shown_name, page=f"/agencies/{a.id}",
                          services=[s.id for s in registry.services.values() if s.agency == a.id],
                          **_scored(summaries.get(a.id)))
            for a in sorted(registry.agencies.values(), key=lambda a: a.id)]


def services(reads: Gate, today: dt.date) -> list[models.Service]:
    summaries = reads.summaries(PUBLIC, today, Level.SERVICE)
    return [models.Service(id=s.id, name=s.name, agency=s.agency, pillar=s.pillar, service_type=s.service_type,
                           description=s.description, page=f"/services/{s.id}", **_scored(summaries.get(s.id)))
            for s in sorted(reads.registry.services.values(), key=lambda s: s.id)]


def geographies(reads: Gate) -> list[models.Geography]:
    return [models.Geography(id=geography_id, label=spec.label,
                             areas=[models.Area(key=a.key, name=a.name) for a in areas(reads, PUBLIC, geography_id)])
            for geography_id, spec in reads.registry.city.geographies.items()]


def status(assessment: Assessment) -> models.Status:
    return models.Status(status=assessment.status.value, label=assessment.status.label, sentence=assessment.sentence,
                         judged_as=assessment.judged_as.value if assessment.judged_as else None,
                         value=assessment.value, period=assessment.period, target=assessment.target,
                         expected=assessment.expected, year_earlier=assessment.year_earlier,
                         year_earlier_period=assessment.year_earlier_period, score=assessment.score,
                         data_through=assessment.data_through)


def statuses(reads: Gate, today: dt.date) -> list[models.MetricStatus]:
    found = reads.assessments(PUBLIC, today)
    return [models.MetricStatus(metric=m.id, **status(found[m.id]).model_dump()) for m in _sorted(reads)]


def metrics(reads: Gate, today: dt.date, ids: Iterable[str] | None = None) -> list[models.Metric]:
    snapshot = reads.snapshot(PUBLIC, today)
    chosen = _sorted(reads) if ids is None else [reads.metric(PUBLIC, metric_id) for metric_id in ids]
    return [_metric(reads, m, snapshot.assessments[m.id], _grains(m, snapshot.city_values.get(m.id, [])))
            for m in chosen]


def grains(reads: Gate, metric_id: str, today: dt.date) -> list[str]:
    """The grains a measure has values at (the ``grain`` its values may be narrowed to)."""
    metric = reads.metric(PUBLIC, metric_id)
    return _grains(metric, reads.snapshot(PUBLIC, today).city_values.get(metric_id, []))


def _grains(metric: MetricSpec, city_values: list[ValueRow]) -> list[str]:
    """Its declared grains; for reported figures, which declare none, the grains they were reported at."""
    present = {g.value for g in metric.grains} or {v.grain for v in city_values}
    return [g.value for g in Grain if g.value in present]


def _sorted(reads: Gate) -> list[MetricSpec]:
    return sorted(reads.metrics(PUBLIC), key=lambda m: m.id)


def _metric(reads: Gate, metric: MetricSpec, assessment: Assessment, grains: list[str]) -> models.Metric:
    source = reads.registry.sources.get(metric.computation.source)
    return models.Metric(
        id=metric.id, title=metric.title, definition=metric.definition, measure_type=metric.measure_type.value,
        pillar=reads.registry.pillar_of(metric), goal=metric.goal, agency=metric.agency,
        services=list(metric.services), format=metric.format.value if metric.format else None, unit=metric.unit,
        direction=metric.direction.value, band=[metric.band.lower, metric.band.upper] if metric.band else None,
        frequency=metric.frequency.value, grains=grains, geographies=list(metric.geographies),
        baseline=metric.baseline.value if metric.baseline else None,
        targets=[models.Target(fiscal_year=t.fiscal_year, quarter=t.quarter, value=t.value,
                               illustrative=t.illustrative, note=t.note) for t in metric.targets],
        status=status(assessment), formula=metric.computation.formula,
        source=(source.attribution or source.title) if source else None,
        page=f"/metrics/{metric.id}", values=f"/api/v1/metrics/{metric.id}/values")


def values(reads: Gate, metric_id: str, *, grain: str | None = None, geography: str | None = None
           ) -> list[models.Value]:
    """The measure's values (every grain and place unless narrowed), with the quality gate's findings."""
    reads.metric(PUBLIC, metric_id)
    found = reads.values(PUBLIC, metric_id, grain=grain, geography=geography)
    reviews = reads.reviews(PUBLIC, metric_id) if any(v.verdict for v in found) else {}
    fy_start = reads.registry.city.fiscal_year_start_month
    return [_value(metric_id, v, fy_start, reviews.get(v.key)) for v in sorted(found, key=_order)]


def _order(value: ValueRow) -> tuple[str, str, str, dt.date]:
    return (value.grain, "" if value.geography == CITY else value.geography, value.geo_key, value.period_start)


def review_text(value: ValueRow, review: object) -> str | None:
    """The performance team's verdict on a flagged value and why ("confirmed: checked with the agency …")."""
    reason = getattr(review, "reason", None)
    return f"{value.verdict.value}: {reason}" if value.verdict and reason else None


def _value(metric_id: str, value: ValueRow, fy_start: int, review: object) -> models.Value:
    grain = Grain(value.grain)
    return models.Value(
        metric=metric_id, grain=grain.value, period=period_label(value.period_start, grain, fy_start),
        period_start=value.period_start, period_end=period_end(value.period_start, grain),
        data_through=value.covered_through, geography=value.geography, area=value.geo_key, value=value.value,
        numerator=value.numerator, denominator=value.denominator, used_for_status=not value.questionable,
        flags=[models.Flag(rule=f.rule.value, reason=f.reason) for f in value.flags],
        review=review_text(value, review), note=value.note)


def scores(reads: Gate, today: dt.date) -> list[models.Score]:
    return [models.Score(level=level.value, id=key, **_scored(summary))
            for level in Level for key, summary in sorted(reads.summaries(PUBLIC, today, level).items())]


def score_history(reads: Gate, today: dt.date) -> list[models.ScoreAt]:
    """The city's and each pillar's score at each recent quarter end and today, oldest first per heading."""
    points = reads.score_history(PUBLIC, today)
    keys = sorted({key for point in points for key in point.scores}, key=lambda k: (k != CITY, k))
    return [models.ScoreAt(level="city" if key == CITY else "pillar", id=key, date=point.day, period=point.label,
                           basis=point.basis.value, **_scored(point.scores[key]))
            for key in keys for point in points if key in point.scores]
