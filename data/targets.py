"""Target proposals: an agency proposes a fiscal year's target with its note, the performance team approves or
declines it; an approved target replaces the registry's for that year (see :mod:`data.target_store`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from data.access import Gate
from data.audit import record
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError, required_text
from data.models import aware, utcnow
from data.policy import Viewer
from data.target_store import APPROVED, TARGET
from metrics.formatting import format_value
from metrics.spec import MetricSpec
from metrics.typed_figures import FigureError, read_figure

PROPOSED, DECLINED = "proposed", "declined"
MAX_NOTE = 4000


@dataclass(frozen=True)
class Proposal:
    id: int
    metric: MetricSpec
    fiscal_year: int
    value: float
    note: str
    state: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decision_note: str | None

    @property
    def shown(self) -> str:
        return format_value(self.value, self.metric.format, self.metric.unit)


def propose(gate: Gate, viewer: Viewer, metric_id: str, *, fiscal_year: int, value: str, note: str) -> int:
    """A target for ``fiscal_year`` with the agency's note on why; it waits for the performance team."""
    metric = gate.metric(viewer, metric_id)
    if not viewer.can_enter_for(metric.agency):
        raise Forbidden("only the measure's agency and the performance team propose its targets")
    try:
        figure = read_figure(value, metric.format, metric.unit)
    except FigureError as exc:
        raise InputError(f"Target: {str(exc).partition(':')[0]}; a target is a figure") from None
    if figure.value is None:
        raise InputError("Target: this field is required")
    if any(p.fiscal_year == fiscal_year for p in proposals(gate, viewer, metric_ids={metric.id}, waiting=True)):
        raise InputError(f"Target: a FY{fiscal_year} target already waits for the performance team's decision")
    why = required_text(note, "Note on the target (why this level)", MAX_NOTE)
    values = {"metric_id": metric.id, "fiscal_year": fiscal_year, "value": figure.value, "note": why}
    with get_engine().begin() as conn:
        proposal_id = conn.execute(insert(TARGET).returning(TARGET.c.id).values(
            **values, state=PROPOSED, proposed_by=viewer.user_id, proposed_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action="propose", object_type="target_proposal",
               object_id=str(proposal_id), after=values)
    return int(proposal_id)


def decide(gate: Gate, viewer: Viewer, proposal_id: int, *, approve: bool, note: str) -> Proposal:
    """Approve or decline a waiting proposal (the performance team); declining needs a reason."""
    if not viewer.can_review_reports:
        raise Forbidden("only the performance team decides targets")
    current = proposal(gate, viewer, proposal_id)
    if current.state != PROPOSED:
        raise InputError(f"Target: this proposal was already {current.state}")
    reason = note.replace("\x00", "").strip()[:MAX_NOTE] or None
    if not approve:
        reason = required_text(note, "Reason for declining", MAX_NOTE)
    changes = {"state": APPROVED if approve else DECLINED, "decided_by": viewer.user_id, "decided_at": utcnow(),
               "decision_note": reason}
    with get_engine().begin() as conn:
        conn.execute(update(TARGET).where(TARGET.c.id == proposal_id).values(**changes))
        record(conn, actor=str(viewer.user_id), action="approve" if approve else "decline",
               object_type="target_proposal", object_id=str(proposal_id), before={"state": current.state},
               after={k: v for k, v in changes.items() if k != "decided_at"})
    return proposal(gate, viewer, proposal_id)


def proposal(gate: Gate, viewer: Viewer, proposal_id: int) -> Proposal:
    gate.require_internal(viewer)
    with get_engine().connect() as conn:
        row = conn.execute(select(TARGET).where(TARGET.c.id == proposal_id)).first()
    found = _visible(gate, viewer, [row] if row is not None else [])
    if not found:
        raise NotFound(f"no target proposal {proposal_id}")
    return found[0]


def proposals(gate: Gate, viewer: Viewer, *, metric_ids: set[str] | None = None, waiting: bool = False
              ) -> list[Proposal]:
    """Proposals the viewer may see (an agency its own measures'), newest first."""
    gate.require_internal(viewer)
    query = select(TARGET).order_by(TARGET.c.proposed_at.desc(), TARGET.c.id.desc())
    if waiting:
        query = query.where(TARGET.c.state == PROPOSED)
    if metric_ids is not None:
        query = query.where(TARGET.c.metric_id.in_(sorted(metric_ids)))
    with get_engine().connect() as conn:
        rows = conn.execute(query).all()
    return _visible(gate, viewer, rows)


def _visible(gate: Gate, viewer: Viewer, rows: Sequence[Any]) -> list[Proposal]:
    metrics = gate.registry.metrics
    return [Proposal(r.id, metrics[r.metric_id], r.fiscal_year, r.value, r.note, r.state, r.proposed_by,
                     aware(r.proposed_at), r.decided_by, r.decision_note)
            for r in rows if r.metric_id in metrics and viewer.can_see_reports_of(metrics[r.metric_id].agency)]
