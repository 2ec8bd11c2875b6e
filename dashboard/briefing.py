"""Everything a CitiStat session shows, read once from its frozen view: the session page, memo and PDF share it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard.figures import Point
from dashboard.views import series
from data.access import Gate
from data.commentary import Comment, comments
from data.followup_store import FollowUpRow, for_session
from data.frozen import FrozenView, frozen_view
from data.policy import Viewer
from data.sessions import AgendaEntry, Session, agenda, previous_session, session
from metrics.escalation import cycle_grain
from metrics.formatting import format_value
from metrics.periods import period_label
from metrics.spec import Grain, MetricSpec
from metrics.status import Assessment
from metrics.values import ValueRow


@dataclass(frozen=True)
class Change:
    """How a measure moved between the previous session's snapshot and this one's."""

    before: Assessment | None
    restated: tuple[tuple[str, float | None, float | None], ...]  # (period, then, now) for revised values


@dataclass(frozen=True)
class Item:
    entry: AgendaEntry
    metric: MetricSpec
    assessment: Assessment
    grain: Grain | None
    points: list[Point]
    comments: list[Comment]
    change: Change | None

    def fmt(self, value: float | None) -> str:
        return "—" if value is None else format_value(value, self.metric.format, self.metric.unit)


@dataclass(frozen=True)
class Briefing:
    session: Session
    subject: str
    items: list[Item]  # on the agenda, in order
    removed: list[Item]
    candidates: list[MetricSpec]  # the subject's measures not on the agenda, to add by hand
    assigned: list[FollowUpRow]
    carried: list[FollowUpRow]
    previous: Session | None
    agency_names: dict[str, str]
    today: dt.date  # follow-up colours are as of this day


def briefing(gate: Gate, viewer: Viewer, session_id: int) -> Briefing:
    """Read a session as it stood in the room (``NotFound`` if the viewer may not see it)."""
    current = session(viewer, session_id)
    registry = gate.registry
    entries = agenda(viewer, session_id)
    on_agenda = [e.metric_id for e in entries]
    view = frozen_view(gate, viewer, current.subject, current.frozen_at, current.data_cutoff, also=on_agenda)
    previous = previous_session(viewer, current)
    before = frozen_view(gate, viewer, previous.subject, previous.frozen_at, previous.data_cutoff,
                         also=on_agenda) if previous else None
    after_meeting = dt.datetime.combine(current.meets_on + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    notes = comments(gate, viewer, on_agenda, as_of=after_meeting)
    fy_start = registry.city.fiscal_year_start_month
    items: list[Item] = []
    removed: list[Item] = []
    for entry in entries:
        if entry.metric_id not in view.metrics:  # hidden from this viewer
            continue
        metric, values = view.metrics[entry.metric_id], view.values[entry.metric_id]
        grain = cycle_grain(metric, values) if values else None
        points = series(metric, values, grain, fy_start)[-12:] if grain else []
        change = _change(before, entry.metric_id, values, fy_start) if before else None
        item = Item(entry, metric, view.assessments[entry.metric_id], grain, points,
                    notes.get(entry.metric_id, []), change)
        (removed if entry.removed else items).append(item)
    assigned, carried = for_session(gate, viewer, current)
    return Briefing(current, current.subject.label(registry), items, removed,
                    sorted((m for m in view.metrics.values() if m.id not in on_agenda), key=lambda m: m.title),
                    assigned, carried, previous, {a.id: a.name for a in registry.agencies.values()}, gate.today())


def _change(before: FrozenView, metric_id: str, values: list[ValueRow], fy_start: int) -> Change:
    then = {v.key: v for v in before.values.get(metric_id, [])}
    restated = tuple((period_label(v.period_start, Grain(v.grain), fy_start), then[v.key].value, v.value)
                     for v in values if v.key in then and then[v.key].value != v.value)
    return Change(before.assessments.get(metric_id), restated)
