"""Data calls: the performance team opens a reporting period and every measure due in it is assigned to its agency;
reading calls, entries, their progress and history, scoped by the policy (an agency sees its own).

Changing an entry (drafts, submissions, reviews) is :mod:`data.entry_changes`'s; publishing an accepted figure
to the measure's source table is :mod:`data.publication`'s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from data.access import Gate
from data.audit import entries as audit_entries
from data.audit import record
from data.data_call_models import DataCall, ReportedEntry
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError, parse_date, required_text
from data.models import aware, utcnow
from data.policy import Viewer
from metrics.registry import Registry
from metrics.reporting import OUTSTANDING, EntryCheck, EntryState, ReportingPeriod, check_entry, due_in
from metrics.spec import Grain, MetricSpec
from metrics.values import CITY

CALL = DataCall.__table__  # type: ignore[attr-defined]
ENTRY = ReportedEntry.__table__  # type: ignore[attr-defined]
MAX_NOTE = 4000


@dataclass(frozen=True)
class Call:
    id: int
    period: ReportingPeriod
    due_on: dt.date
    opened_by: str
    opened_at: dt.datetime
    cancelled: str | None = None  # why it was cancelled, if it was

    def overdue_on(self, today: dt.date) -> bool:
        return self.cancelled is None and today > self.due_on


@dataclass(frozen=True)
class Entry:
    id: int
    call: Call
    metric: MetricSpec
    agency: str
    state: EntryState
    value: float | None
    numerator: float | None
    denominator: float | None
    note: str | None
    prior_note: str | None  # the agency's note on the prior year's actual, when that figure has none
    return_reason: str | None
    restatement_reason: str | None
    updated_by: str | None
    updated_at: dt.datetime | None
    reviewed_by: str | None
    published_at: dt.datetime | None

    def overdue(self, today: dt.date) -> bool:
        return self.state in OUTSTANDING and self.call.overdue_on(today)

    @property
    def held(self) -> bool:
        """Accepted, but not yet published (the publish gate holds it)."""
        return self.state is EntryState.ACCEPTED and self.published_at is None


@dataclass(frozen=True)
class AgencyProgress:
    agency: str
    counts: Counter[EntryState]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def reporting_sources(registry: Registry) -> frozenset[str]:
    return frozenset(s.id for s in registry.sources.values() if s.data_call and s.reported)


def due_measures(registry: Registry, period: ReportingPeriod) -> list[MetricSpec]:
    """The measures of data call sources with a figure due for ``period``."""
    sources = reporting_sources(registry)
    return sorted((m for m in registry.metrics.values() if m.computation.source in sources and due_in(m, period)),
                  key=lambda m: (m.agency, m.id))


# --- calls -----------------------------------------------------------------------------------------------------
def open_call(gate: Gate, viewer: Viewer, *, period: str, due_on: str) -> int:
    """A new data call: every measure due in the period is assigned to its agency, not started."""
    if not viewer.can_review_reports:
        raise Forbidden("only the performance team opens data calls")
    try:
        reporting = ReportingPeriod.parse(period)
    except ValueError as exc:
        raise InputError(f"Period: {exc}") from None
    fy_start = gate.registry.city.fiscal_year_start_month
    due = parse_date(due_on, "Due date")
    if reporting.start(fy_start) > gate.today():
        raise InputError(f"Period: {reporting.label} has not started yet (it starts on "
                         f"{reporting.start(fy_start):%B %-d, %Y})")
    if due < reporting.end(fy_start):
        raise InputError(f"Due date: {reporting.label} ends on {reporting.end(fy_start):%Y-%m-%d}; figures can only "
                         "be due after that")
    measures = due_measures(gate.registry, reporting)
    if not measures:
        raise InputError(f"Period: no reported measure is due for {reporting.label}")
    start = reporting.start(fy_start)
    with get_engine().begin() as conn:
        if conn.execute(select(CALL.c.id).where(CALL.c.grain == reporting.grain, CALL.c.period_start == start,
                                                CALL.c.closed_at.is_(None))).first():
            raise InputError(f"Period: a data call for {reporting.label} is already open")
        call_id = conn.execute(insert(CALL).returning(CALL.c.id).values(
            grain=reporting.grain, period_start=start, due_on=due, opened_by=viewer.user_id,
            opened_at=utcnow())).scalar_one()
        conn.execute(insert(ENTRY), [{"call_id": call_id, "metric_id": m.id, "agency": m.agency,
                                      "state": EntryState.NOT_STARTED} for m in measures])
        record(conn, actor=str(viewer.user_id), action="open", object_type="data_call", object_id=str(call_id),
               after={"period": reporting.label, "due_on": due, "measures": len(measures)})
    return int(call_id)


def cancel_call(gate: Gate, viewer: Viewer, call_id: int, reason: str) -> None:
    """Cancel a call opened by mistake, while nothing of it is accepted; it stays on record with the reason."""
    if not viewer.can_review_reports:
        raise Forbidden("only the performance team cancels data calls")
    current = call(gate, viewer, call_id)
    if current.cancelled is not None:
        raise InputError("Cancel: this data call was cancelled already")
    why = required_text(reason, "Reason for cancelling", MAX_NOTE)
    with get_engine().begin() as conn:
        if conn.execute(select(ENTRY.c.id).where(ENTRY.c.call_id == call_id,
                                                 ENTRY.c.state == EntryState.ACCEPTED)).first():
            raise InputError("Cancel: figures of this call were accepted already; it cannot be cancelled")
        conn.execute(update(CALL).where(CALL.c.id == call_id).values(closed_at=utcnow(), cancel_reason=why))
        record(conn, actor=str(viewer.user_id), action="cancel", object_type="data_call", object_id=str(call_id),
               before={"cancelled": None}, after={"cancelled": why})


def calls(gate: Gate, viewer: Viewer) -> list[Call]:
    """Every data call, newest period first (staff only)."""
    gate.require_internal(viewer)
    with get_engine().connect() as conn:
        rows = conn.execute(select(CALL).order_by(CALL.c.period_start.desc(), CALL.c.grain)).all()
    return [_call(r, gate.registry.city.fiscal_year_start_month) for r in rows]


def call(gate: Gate, viewer: Viewer, call_id: int) -> Call:
    gate.require_internal(viewer)
    with get_engine().connect() as conn:
        row = conn.execute(select(CALL).where(CALL.c.id == call_id)).first()
    if row is None:
        raise NotFound(f"no data call {call_id}")
    return _call(row, gate.registry.city.fiscal_year_start_month)


def _call(r: Any, fy_start: int) -> Call:
    return Call(r.id, ReportingPeriod.of(Grain(r.grain), r.period_start, fy_start), r.due_on, r.opened_by,
                aware(r.opened_at), r.cancel_reason if r.closed_at else None)


# --- entries ---------------------------------------------------------------------------------------------------
def entries(gate: Gate, viewer: Viewer, call_id: int, *, agency: str | None = None) -> list[Entry]:
    """The call's entries the viewer may see (an agency its own), by agency and measure."""
    current = call(gate, viewer, call_id)
    query = select(ENTRY).where(ENTRY.c.call_id == call_id).order_by(ENTRY.c.agency, ENTRY.c.metric_id)
    if agency:
        query = query.where(ENTRY.c.agency == agency)
    with get_engine().connect() as conn:
        rows = conn.execute(query).all()
    metrics = gate.registry.metrics
    return [_entry(r, current, metrics[r.metric_id]) for r in rows
            if r.metric_id in metrics and viewer.can_see_reports_of(r.agency)]


def entry(gate: Gate, viewer: Viewer, call_id: int, metric_id: str) -> Entry:
    """One entry the viewer may see; another agency's, or an unknown one, is ``NotFound``."""
    current = call(gate, viewer, call_id)
    with get_engine().connect() as conn:
        row = conn.execute(select(ENTRY).where(ENTRY.c.call_id == call_id, ENTRY.c.metric_id == metric_id)).first()
    metric = gate.registry.metrics.get(metric_id)
    if row is None or metric is None or not viewer.can_see_reports_of(row.agency):
        raise NotFound(f"no measure '{metric_id[:80]}' in this data call")
    return _entry(row, current, metric)


def _entry(r: Any, current: Call, metric: MetricSpec) -> Entry:
    return Entry(r.id, current, metric, r.agency, EntryState(r.state), r.value, r.numerator, r.denominator, r.note,
                 r.prior_note, r.return_reason, r.restatement_reason, r.updated_by,
                 aware(r.updated_at) if r.updated_at else None, r.reviewed_by,
                 aware(r.published_at) if r.published_at else None)


@dataclass(frozen=True)
class Step:
    """One change of an entry, from the audit log."""

    at: dt.datetime
    actor: str
    action: str
    state: str | None  # the state it left the entry in, if it changed it
    reason: str | None  # a return's reason


def trail(gate: Gate, viewer: Viewer, call_id: int, metric_id: str) -> list[Step]:
    """Every change of the entry the viewer may see, oldest first."""
    current = entry(gate, viewer, call_id, metric_id)
    with get_engine().connect() as conn:
        rows = audit_entries(conn, object_type="reported_entry", object_id=f"{current.call.id}:{current.metric.id}")
    steps = []
    for r in reversed(rows):
        after = json.loads(r.after) if r.after else {}
        state = after.get("state")
        steps.append(Step(aware(r.at), r.actor, r.action, EntryState(state).label if state else None,
                          after.get("return_reason") if r.action == "return" else None))
    return steps


def progress(gate: Gate, viewer: Viewer, call_id: int, today: dt.date) -> list[AgencyProgress]:
    """Per agency the viewer may see: how many entries are in each state, and how many are overdue."""
    by_agency: dict[str, list[Entry]] = {}
    for e in entries(gate, viewer, call_id):
        by_agency.setdefault(e.agency, []).append(e)
    return [AgencyProgress(agency, Counter(e.state for e in rows), sum(e.overdue(today) for e in rows))
            for agency, rows in by_agency.items()]


def check(gate: Gate, viewer: Viewer, current: Entry, *, value: object, numerator: object = None,
          denominator: object = None) -> EntryCheck:
    """What the typed figures mean for the entry's measure, against its published citywide history."""
    history = gate.values(viewer, current.metric.id, geography=CITY)
    return check_entry(current.metric, current.call.period, gate.registry.city.fiscal_year_start_month, value=value,
                       numerator=numerator, denominator=denominator, history=history)
