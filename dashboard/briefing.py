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
from data.sessions import AgendaEntry, Decision, Session, agenda, decisions, previous_session, session
from data.store import same_number
from metrics.escalation import Reason, cycle_grain
from metrics.formatting import format_value
from metrics.periods import period_label
from metrics.scores import Summary, summarize
from metrics.spec import Grain, MetricSpec
from metrics.status import Assessment, Status
from metrics.subjects import subject_metrics
from metrics.values import ValueRow


@dataclass(frozen=True)
class Change:
    """How a measure moved between the previous session's snapshot and this one's."""

    before: Assessment | None
    restated: tuple[tuple[str, float | None, float | None], ...]  # (period, then, now) for revised values
    now: Assessment | None = None

    @property
    def moved(self) -> bool:
        """Whether the status (as judged, stale or not) or the value changed, or a value was restated."""
        if self.before is None or self.now is None:
            return True
        return bool(self.restated) or _judged(self.before) is not _judged(self.now) \
            or not same_number(self.before.value, self.now.value)


def _judged(assessment: Assessment) -> Status:
    return assessment.judged_as or assessment.status


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

    @property
    def question(self) -> str:
        """The question the meeting puts to the agency about this measure."""
        title = self.metric.title[0].lower() + self.metric.title[1:]
        if Reason.MISSED_TWICE in self.entry.reasons:
            return (f"What has kept {title} off its target these last cycles, and what will bring it back, by "
                    "when?")
        if Reason.PROJECTED_MISS in self.entry.reasons:
            return f"What would it take to reach this year's target for {title}, and is that target still right?"
        if Reason.STALE in self.entry.reasons:
            return f"When will the overdue figures for {title} be reported, and what do they show so far?"
        return f"What should the meeting decide about {title}? (Added by the analyst: {self.entry.analyst_note})"


@dataclass(frozen=True)
class Briefing:
    session: Session
    subject: str
    items: list[Item]  # on the agenda, in order
    removed: list[Item]
    considered: list[Item]  # ranked below the agenda's size: listed, not discussed
    candidates: list[MetricSpec]  # the subject's measures not on the agenda, to add by hand
    assigned: list[FollowUpRow]
    carried: list[FollowUpRow]
    previous: Session | None
    agency_names: dict[str, str]
    today: dt.date  # follow-up colours are as of this day: today, or the meeting day once it has passed
    decisions: list[Decision]
    score: Summary  # the subject's measures at this session's cutoff
    previous_score: Summary | None  # the same at the previous session's

    @property
    def due(self) -> list[FollowUpRow]:
        """Follow-ups still open at the meeting, soonest due first (overdue ones are red)."""
        return sorted((f for f in (*self.assigned, *self.carried) if f.is_open_on(self.today)),
                      key=lambda f: f.due_on)


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
    considered: list[Item] = []
    for entry in entries:
        if entry.metric_id not in view.metrics:  # hidden from this viewer
            continue
        metric, values = view.metrics[entry.metric_id], view.values[entry.metric_id]
        grain = cycle_grain(metric, values) if values else None
        points = series(metric, values, grain, fy_start)[-12:] if grain else []
        change = _change(before, entry.metric_id, values, view.assessments[entry.metric_id], fy_start) \
            if before else None
        item = Item(entry, metric, view.assessments[entry.metric_id], grain, points,
                    notes.get(entry.metric_id, []), change)
        (removed if entry.removed else considered if entry.considered else items).append(item)
    assigned, carried = for_session(gate, viewer, current)
    own = subject_metrics(registry, current.subject, gate.metrics(viewer))
    score = summarize(view.assessments[m.id] for m in own if m.id in view.assessments)
    previous_score = summarize(before.assessments[m.id] for m in own if m.id in before.assessments) \
        if before else None
    return Briefing(current, current.subject.label(registry), items, removed, considered,
                    sorted((m for m in view.metrics.values() if m.id not in on_agenda), key=lambda m: m.title),
                    assigned, carried, previous, {a.id: a.name for a in registry.agencies.values()},
                    current.colours_on(gate.today()), decisions(viewer, session_id), score, previous_score)


def _change(before: FrozenView, metric_id: str, values: list[ValueRow], now: Assessment, fy_start: int) -> Change:
    then = {v.key: v for v in before.values.get(metric_id, [])}
    restated = tuple((period_label(v.period_start, Grain(v.grain), fy_start), then[v.key].value, v.value)
                     for v in values if v.key in then and not same_number(then[v.key].value, v.value))
    return Change(before.assessments.get(metric_id), restated, now)
