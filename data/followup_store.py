"""CitiStat follow-ups: admins assign them, their owning agency reports progress and evidence, all audited.

A follow-up stays on the agenda of every later session on the same subject until it is closed with
evidence; which sessions carried it follows from the dates, so a past session's list never changes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from data.access import Gate
from data.audit import entries, record
from data.citistat_models import FollowUp
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError, parse_date, required_text, web_link
from data.models import aware, utcnow
from data.policy import Viewer
from data.sessions import SESSION, Session, session, sessions
from metrics.followups import Deliverable, FollowUpColour, colour
from metrics.subjects import Subject, SubjectKind

FOLLOW = FollowUp.__table__  # type: ignore[attr-defined]
MAX_TEXT = 2000


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    session_id: int
    request: str
    owner_role: str
    owner_agency: str
    due_on: dt.date
    deliverable: Deliverable
    metric_ids: tuple[str, ...]
    evidence: str | None
    evidence_link: str | None
    started_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_by: str
    subject: Subject  # of the session it came from
    session_meets_on: dt.date
    zone: ZoneInfo  # the city's: a day ends at its midnight

    def colour(self, today: dt.date) -> FollowUpColour:
        """Its colour on ``today`` (a day in the city), from what had happened by the end of it."""
        end_of_day = dt.datetime.combine(today, dt.time.max, tzinfo=self.zone)
        return colour(due=self.due_on, today=today,
                      started=self.started_at is not None and self.started_at <= end_of_day,
                      closed=self.closed_at is not None and self.closed_at <= end_of_day,
                      evidence=self.evidence or self.evidence_link)

    def is_open_on(self, day: dt.date) -> bool:
        return self.colour(day) is not FollowUpColour.GREEN


def assign(gate: Gate, viewer: Viewer, session_id: int, *, request: str, owner_role: str, owner_agency: str,
           due_on: str, deliverable: str, metric_ids: list[str]) -> int:
    """A new follow-up from a session. Admins only."""
    if not viewer.can_manage:
        raise Forbidden("only the performance team assigns follow-ups")
    origin = session(viewer, session_id)
    if origin.cancelled is not None:
        raise InputError("Follow-up: the meeting was cancelled, so nothing was asked there")
    request = required_text(request, "What is asked", MAX_TEXT)
    owner_role = required_text(owner_role, "Owner role", 120)
    if owner_agency not in gate.registry.agencies:
        raise InputError(f"Owner agency: no agency '{owner_agency[:80]}'")
    due = parse_date(due_on, "Due date")
    if due < origin.meets_on:
        raise InputError("Due date: it must be on or after the session's meeting date")
    if deliverable not in Deliverable.__members__.values():
        raise InputError(f"Deliverable: choose one of {', '.join(d.label for d in Deliverable)}")
    for metric_id in metric_ids:
        try:
            gate.metric(viewer, metric_id)
        except (NotFound, Forbidden):
            raise InputError(f"Linked measures: no measure '{metric_id[:80]}'") from None
    now = utcnow()
    values = {"session_id": session_id, "request": request, "owner_role": owner_role, "owner_agency": owner_agency,
              "due_on": due, "deliverable": deliverable, "metric_ids": ",".join(metric_ids)}
    with get_engine().begin() as conn:
        follow_up_id = conn.execute(insert(FOLLOW).returning(FOLLOW.c.id).values(
            **values, created_by=viewer.user_id, created_at=now, updated_at=now)).scalar_one()
        record(conn, actor=str(viewer.user_id), action="assign", object_type="follow_up",
               object_id=str(follow_up_id), after=values)
    return int(follow_up_id)


def report(gate: Gate, viewer: Viewer, follow_up_id: int, *, started: bool, closed: bool, evidence: str,
           evidence_link: str) -> None:
    """Progress from the owner (agency users of the owning agency) or an admin."""
    current = follow_up(gate, viewer, follow_up_id)
    if not viewer.can_report_on(current.owner_agency):
        raise Forbidden("only the owning agency and the performance team update a follow-up")
    evidence_text = evidence.strip()[:MAX_TEXT + 1] or None
    if evidence_text and len(evidence_text) > MAX_TEXT:
        raise InputError(f"Evidence: at most {MAX_TEXT} characters")
    link = web_link(evidence_link, "Evidence link")
    if closed and not (evidence_text or link):
        raise InputError("Evidence: closing a follow-up needs evidence (a description or a link)")
    now = utcnow()
    changes: dict[str, Any] = {"evidence": evidence_text, "evidence_link": link,
                               "started_at": current.started_at or now if started or closed else None,
                               "closed_at": current.closed_at or now if closed else None}
    before = {k: getattr(current, k) for k in changes}
    with get_engine().begin() as conn:
        conn.execute(update(FOLLOW).where(FOLLOW.c.id == follow_up_id).values(**changes, updated_at=now))
        record(conn, actor=str(viewer.user_id), action="report", object_type="follow_up",
               object_id=str(follow_up_id), before=before, after=changes)


def change(gate: Gate, viewer: Viewer, follow_up_id: int, *, due_on: str, owner_role: str, owner_agency: str,
           reason: str) -> None:
    """A new due date or owner (the performance team), with the reason; each change stays in its history."""
    if not viewer.can_manage:
        raise Forbidden("only the performance team changes a follow-up's due date or owner")
    current = follow_up(gate, viewer, follow_up_id)
    due = parse_date(due_on, "Due date")
    role = required_text(owner_role, "Owner role", 120)
    if owner_agency not in gate.registry.agencies:
        raise InputError(f"Owner agency: no agency '{owner_agency[:80]}'")
    if due < current.session_meets_on:
        raise InputError("Due date: it must be on or after the session's meeting date")
    before = {"due_on": current.due_on, "owner_role": current.owner_role, "owner_agency": current.owner_agency}
    after = {"due_on": due, "owner_role": role, "owner_agency": owner_agency}
    if before == after:
        raise InputError("Due date: nothing changed")
    why = required_text(reason, "Reason for the change", MAX_TEXT)
    with get_engine().begin() as conn:
        conn.execute(update(FOLLOW).where(FOLLOW.c.id == follow_up_id).values(**after, updated_at=utcnow()))
        record(conn, actor=str(viewer.user_id), action="change", object_type="follow_up",
               object_id=str(follow_up_id), before=before, after={**after, "reason": why})


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    actor: str
    action: str
    detail: str


def history(gate: Gate, viewer: Viewer, follow_up_id: int) -> list[Step]:
    """Every change of the follow-up, oldest first: assigned, progress reported, due date or owner changed."""
    follow_up(gate, viewer, follow_up_id)
    with get_engine().connect() as conn:
        rows = entries(conn, object_type="follow_up", object_id=str(follow_up_id))
    steps = []
    for r in reversed(rows):
        before, after = json.loads(r.before or "{}"), json.loads(r.after or "{}")
        moved = [f"{k.replace('_', ' ')} {before.get(k)} → {after[k]}" for k in ("due_on", "owner_role", "owner_agency")
                 if k in after and k in before and before[k] != after[k]]
        detail = "; ".join(moved) + (f" ({after['reason']})" if after.get("reason") else "")
        steps.append(Step(aware(r.at), r.actor, r.action, detail))
    return steps


def follow_up(gate: Gate, viewer: Viewer, follow_up_id: int) -> FollowUpRow:
    """One follow-up the viewer may see (``NotFound`` otherwise)."""
    if not viewer.internal:
        raise Forbidden("sign in to see follow-ups")
    with get_engine().connect() as conn:
        row = conn.execute(select(FOLLOW, SESSION.c.subject_kind, SESSION.c.subject_id, SESSION.c.meets_on)
                           .join(SESSION, SESSION.c.id == FOLLOW.c.session_id)
                           .where(FOLLOW.c.id == follow_up_id)).first()
    if row is None or not _may_see(viewer, row):
        raise NotFound(f"no follow-up {follow_up_id}")
    return _row(row, gate.zone)


def follow_ups(gate: Gate, viewer: Viewer) -> list[FollowUpRow]:
    """Every follow-up the viewer may see, soonest due first."""
    if not viewer.internal:
        raise Forbidden("sign in to see follow-ups")
    with get_engine().connect() as conn:
        rows = conn.execute(select(FOLLOW, SESSION.c.subject_kind, SESSION.c.subject_id, SESSION.c.meets_on)
                            .join(SESSION, SESSION.c.id == FOLLOW.c.session_id)
                            .order_by(FOLLOW.c.due_on, FOLLOW.c.id)).all()
    return [_row(r, gate.zone) for r in rows if _may_see(viewer, r)]


def for_session(gate: Gate, viewer: Viewer, current: Session) -> tuple[list[FollowUpRow], list[FollowUpRow]]:
    """(assigned in this session, carried over: earlier sessions' on this subject still open at this meeting)."""
    earlier = {s.id for s in sessions(viewer) if s.subject == current.subject and s.meets_on < current.meets_on}
    rows = follow_ups(gate, viewer)
    return ([r for r in rows if r.session_id == current.id],
            [r for r in rows if r.session_id in earlier and r.is_open_on(current.meets_on)])


def _may_see(viewer: Viewer, row: Any) -> bool:
    return viewer.can_see_follow_up(row.owner_agency, row.subject_id if row.subject_kind == "agency" else None)


def _row(r: Any, zone: ZoneInfo) -> FollowUpRow:
    return FollowUpRow(r.id, r.session_id, r.request, r.owner_role, r.owner_agency, r.due_on,
                       Deliverable(r.deliverable), tuple(m for m in r.metric_ids.split(",") if m), r.evidence,
                       r.evidence_link, aware(r.started_at) if r.started_at else None,
                       aware(r.closed_at) if r.closed_at else None, r.created_by,
                       Subject(SubjectKind(r.subject_kind), r.subject_id), r.meets_on, zone)

