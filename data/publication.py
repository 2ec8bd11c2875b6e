"""Publishing accepted data call figures: the publish gate, then the write to the measure's source table, where
the next refresh makes it a new version in the value store. A figure that replaces a published one is a
restatement: it needs a reason, kept with the old and new figures and shown on the measure's chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select, update

from data import data_calls, entry_changes
from data.access import Gate
from data.audit import record
from data.data_call_models import ReportedEntry, Restatement
from data.db import get_engine
from data.errors import Forbidden
from data.input import required_text
from data.models import utcnow
from data.policy import Viewer
from data.sources import source_table
from data.store import same_number
from metrics.columns import LINE
from metrics.formatting import format_value
from metrics.periods import fiscal_year_start
from metrics.reporting import EntryState, PriorActual, ReportingPeriod, publish_blockers
from metrics.spec import MetricSpec, SourceSpec

ENTRY = ReportedEntry.__table__  # type: ignore[attr-defined]
RESTATEMENT = Restatement.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    entry: data_calls.Entry
    published: bool
    blockers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestatementNote:
    grain: str
    period_start: dt.date
    old_value: float | None
    new_value: float | None
    reason: str
    restated_at: dt.datetime


def accept(gate: Gate, viewer: Viewer, call_id: int, metric_id: str, restatement_reason: str = "") -> Outcome:
    """Accept a submitted figure and publish it unless the publish gate holds it. A figure that differs from the
    published one for the period needs ``restatement_reason``."""
    current = data_calls.entry(gate, viewer, call_id, metric_id)
    source, key = _source(gate, current.metric)
    with get_engine().connect() as conn:
        old = published_figure(conn, source, key, current.call.period, _fy_start(gate))
    reason = None
    if old is not None and not same_number(old.value, current.value):
        shown = format_value(old.value, current.metric.format, current.metric.unit)
        reason = required_text(restatement_reason, f"Reason for restating ({current.call.period.label} shows {shown} "
                               "now; the reason is shown on the chart)", data_calls.MAX_NOTE)
    return publish(gate, viewer, entry_changes.accept(gate, viewer, call_id, metric_id, reason))


def standing(gate: Gate, current: data_calls.Entry) -> float | None:
    """The figure published now for the entry's measure and period (what accepting it would replace), if any."""
    source, key = _source(gate, current.metric)
    with get_engine().connect() as conn:
        found = published_figure(conn, source, key, current.call.period, _fy_start(gate))
    return None if found is None else found.value


def blockers(gate: Gate, current: data_calls.Entry) -> tuple[str, ...]:
    """What keeps the entry's fiscal year from being published for its measure (see metrics.reporting)."""
    year = current.call.period.fiscal_year
    source, key = _source(gate, current.metric)
    fy_start = _fy_start(gate)
    prior_period = ReportingPeriod(year - 1)
    with get_engine().connect() as conn:
        prior = published_figure(conn, source, key, prior_period, fy_start)
        earlier = _has_figures_before(conn, source, key, fiscal_year_start(year, fy_start))
    note = (getattr(prior, "note", None) if prior is not None else None) or current.prior_note
    return publish_blockers(current.metric, year, None if prior is None else PriorActual(prior.value, note),
                            current.metric.annual_target(year), new=not earlier)


def publish(gate: Gate, viewer: Viewer, current: data_calls.Entry) -> Outcome:
    """Write an accepted figure to its source table if nothing blocks it; audited, with the restatement if any."""
    if not viewer.can_review_reports:
        raise Forbidden("only the performance team publishes figures")
    if current.state is not EntryState.ACCEPTED or current.published_at is not None:
        return Outcome(current, current.published_at is not None)
    held = blockers(gate, current)
    if held:
        return Outcome(current, False, held)
    source, key = _source(gate, current.metric)
    period, fy_start, now = current.call.period, _fy_start(gate), utcnow()
    with get_engine().begin() as conn:
        claimed = conn.execute(ENTRY.update().where(ENTRY.c.id == current.id, ENTRY.c.state == EntryState.ACCEPTED,
                                                    ENTRY.c.published_at.is_(None)).values(published_at=now)).rowcount
        if claimed != 1:  # returned, or published by another request, meanwhile
            return Outcome(data_calls.entry(gate, viewer, current.call.id, current.metric.id), False)
        old = _write_figure(conn, source, key, current, fy_start)
        if old is not None and current.restatement_reason:
            conn.execute(insert(RESTATEMENT).values(
                metric_id=current.metric.id, grain=period.grain.value, period_start=period.start(fy_start),
                old_value=old.value, new_value=current.value, reason=current.restatement_reason,
                restated_by=viewer.user_id, restated_at=now))
        record(conn, actor=str(viewer.user_id), action="publish", object_type="reported_entry",
               object_id=f"{current.call.id}:{current.metric.id}",
               before={"value": None if old is None else old.value, "note": getattr(old, "note", None)},
               after={"value": current.value, "note": current.note, "prior_note": current.prior_note,
                      "restatement_reason": current.restatement_reason})
    return Outcome(data_calls.entry(gate, viewer, current.call.id, current.metric.id), True)


def _write_figure(conn: Connection, source: SourceSpec, key: str, current: data_calls.Entry, fy_start: int
                  ) -> Any | None:
    """The entry's figure in place of the period's in the source table (and the agency's note on the prior year's
    actual, where that has none). Returns the figure it replaced, if any."""
    table, layout, period = source_table(source), source.reported, current.call.period
    assert layout is not None
    table.create(conn, checkfirst=True)
    old = published_figure(conn, source, key, period, fy_start)
    conn.execute(delete(table).where(_where(table, source, key, period, fy_start)))
    row: dict[str, Any] = {LINE: None, layout.key_column: key, layout.grain_column: period.grain.value,
                           source.time_column: period.start(fy_start), layout.value_column: current.value}
    optional = {layout.numerator_column: current.numerator, layout.denominator_column: current.denominator,
                layout.note_column: current.note, layout.fiscal_year_column: period.fiscal_year,
                layout.period_column: period.code}
    conn.execute(insert(table).values(**row, **{column: value for column, value in optional.items() if column}))
    prior_year = ReportingPeriod(period.fiscal_year - 1)
    prior = published_figure(conn, source, key, prior_year, fy_start)
    if current.prior_note and layout.note_column and prior is not None and not getattr(prior, "note", None):
        conn.execute(update(table).where(_where(table, source, key, prior_year, fy_start))
                     .values({layout.note_column: current.prior_note}))
    return old


def publish_held(gate: Gate, viewer: Viewer, call_id: int, metric_ids: set[str] | None = None) -> list[Outcome]:
    """Publish every accepted figure of the call the gate no longer holds (after a target or note was added)."""
    held = [e for e in data_calls.entries(gate, viewer, call_id) if e.held
            and (metric_ids is None or e.metric.id in metric_ids)]
    return [publish(gate, viewer, e) for e in held]


def restatements(gate: Gate, viewer: Viewer, metric_id: str, *, as_of: dt.datetime | None = None
                 ) -> list[RestatementNote]:
    """The metric's restated figures with their reasons (as they stood at ``as_of``), for its chart."""
    gate.metric(viewer, metric_id)
    query = select(RESTATEMENT).where(RESTATEMENT.c.metric_id == metric_id).order_by(RESTATEMENT.c.restated_at)
    if as_of is not None:
        query = query.where(RESTATEMENT.c.restated_at <= as_of)
    with get_engine().connect() as conn:
        rows = conn.execute(query).all()
    return [RestatementNote(r.grain, r.period_start, r.old_value, r.new_value, r.reason, r.restated_at) for r in rows]


def published_figure(conn: Connection, source: SourceSpec, key: str, period: ReportingPeriod, fy_start: int
                     ) -> Any | None:
    """The citywide figure the source table holds for the measure and period (``value`` and, if kept, ``note``)."""
    table = source_table(source)
    if not conn.dialect.has_table(conn, source.table):
        return None
    layout = source.reported
    assert layout is not None
    columns = [table.c[layout.value_column].label("value")]
    if layout.note_column:
        columns.append(table.c[layout.note_column].label("note"))
    return conn.execute(select(*columns).where(_where(table, source, key, period, fy_start))).first()


def _where(table: Table, source: SourceSpec, key: str, period: ReportingPeriod, fy_start: int) -> Any:
    layout = source.reported
    assert layout is not None
    return and_(table.c[layout.key_column] == key, table.c[layout.grain_column] == period.grain.value,
                table.c[source.time_column] == period.start(fy_start),
                *(table.c[column].is_(None) for column in source.geographies.values()))


def _has_figures_before(conn: Connection, source: SourceSpec, key: str, start: dt.date) -> bool:
    table, layout = source_table(source), source.reported
    assert layout is not None
    if not conn.dialect.has_table(conn, source.table):
        return False
    return conn.execute(select(table.c[layout.key_column]).where(
        table.c[layout.key_column] == key, table.c[source.time_column] < start).limit(1)).first() is not None


def _source(gate: Gate, metric: MetricSpec) -> tuple[SourceSpec, str]:
    source = gate.registry.sources[metric.computation.source]
    assert metric.computation.key is not None
    return source, metric.computation.key


def _fy_start(gate: Gate) -> int:
    return gate.registry.city.fiscal_year_start_month

