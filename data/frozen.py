"""A CitiStat session's frozen view of the data: values as they stood when it was frozen, up to its cutoff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from data.access import Gate
from data.policy import Viewer
from metrics.spec import MetricSpec
from metrics.status import Assessment, assess
from metrics.subjects import Subject, as_subject, cut_off, subject_metrics
from metrics.values import ValueRow


@dataclass(frozen=True)
class FrozenView:
    """The subject's measures as the session sees them: values as of ``frozen_at`` up to the cutoff."""

    metrics: dict[str, MetricSpec]  # as judged for the subject (a district's counts carry no city target)
    values: dict[str, list[ValueRow]]
    assessments: dict[str, Assessment]


def frozen_view(gate: Gate, viewer: Viewer, subject: Subject, frozen_at: dt.datetime, cutoff: dt.date,
                also: Iterable[str] = ()) -> FrozenView:
    """The subject's visible measures, plus the visible ones among ``also`` (judged on their citywide values)."""
    registry = gate.registry
    own = subject_metrics(registry, subject, gate.metrics(viewer))
    own_ids = {m.id for m in own}
    specs = own + [m for m in gate.visible(viewer, also) if m.id not in own_ids]
    history = gate.history(viewer, [m.id for m in specs], frozen_at)
    metrics, values, assessments = {}, {}, {}
    for spec in specs:
        judged_as = subject if spec.id in own_ids else None
        metric, rows = as_subject(judged_as, spec, cut_off(history[spec.id], cutoff), districts=registry.city.districts)
        metrics[spec.id], values[spec.id] = metric, rows
        assessments[spec.id] = assess(metric, rows, city=registry.city, today=cutoff)
    return FrozenView(metrics, values, assessments)
