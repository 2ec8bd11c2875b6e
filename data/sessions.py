"""CitiStat sessions and their agendas: who may see and change them, the frozen view, every change audited.

Admins (the Mayor's office) create sessions and shape agendas. Agency users see sessions about their
agencies and sessions that gave their agencies a follow-up; internal viewers see every session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from data.access import Gate
from data.audit import record
from data.citistat_models import AgendaItem, CitiStatSession, FollowUp
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.frozen import frozen_view
from data.input import InputError, parse_date, required_text
from data.models import aware, utcnow
from data.policy import Viewer
from metrics.escalation import Reason, suggest
from metrics.subjects import Subject, SubjectError, SubjectKind

SESSION = CitiStatSession.__table__  # type: ignore[attr-defined]
ITEM = AgendaItem.__table__  # type: ignore[attr-defined]
FOLLOW = FollowUp.__table__  # type: ignore[attr-defined]
MAX_NOTE = 1000


class Origin(StrEnum):
    RULE = "rule"  # suggested by metrics.escalation
    ANALYST = "analyst"  # added by hand


@dataclass(frozen=True)
class Attendee:
    role: str
    name: str

    def __str__(self) -> str:
        return f"{self.role}: {self.name}"


@dataclass(frozen=True)
class Session:
    id: int
    subject: Subject
    meets_on: dt.date
    data_cutoff: dt.date
    frozen_at: dt.datetime
    attendees: tuple[Attendee, ...]
    created_by: str

    @property
    def summary(self) -> str:
        """When it meets, which data it holds, and when that data was frozen."""
        return (f"Meeting {self.meets_on:%A, %B %-d, %Y}. Data through {self.data_cutoff:%B %-d, %Y}, as recorded "
                f"{self.frozen_at:%Y-%m-%d %H:%M} UTC")

    @property
    def attendee_list(self) -> str:
        return "; ".join(map(str, self.attendees))


@dataclass(frozen=True)
class AgendaEntry:
    id: int
    metric_id: str
    position: int
    origin: Origin
    reasons: tuple[Reason, ...]
    explanation: str
    removed: bool
    analyst_note: str | None


def parse_attendees(text: str) -> tuple[Attendee, ...]:
    """One attendee per line as ``Role: Name``; blank lines are skipped."""
    attendees = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        role, colon, name = line.partition(":")
        if not colon or not role.strip() or not name.strip() or len(line) > 200:
            raise InputError(f"Attendees, line {number}: write 'Role: Name' (for example 'Director: Jane Doe')")
        attendees.append(Attendee(role.strip(), name.strip()))
    return tuple(attendees)


def create_session(gate: Gate, viewer: Viewer, *, subject: str, meets_on: str, data_cutoff: str,
                   attendees: str) -> int:
    """A new session with the rule's suggested agenda, frozen now. Admins only."""
    _require_admin(viewer)
    try:
        parsed = Subject.parse(subject, gate.registry)
    except SubjectError as exc:
        raise InputError(f"Subject: {exc}") from None
    meeting, cutoff = parse_date(meets_on, "Meeting date"), parse_date(data_cutoff, "Data cutoff")
    if cutoff > meeting:
        raise InputError("Data cutoff: it must be on or before the meeting date")
    people = parse_attendees(attendees)
    now = utcnow()
    with get_engine().begin() as conn:
        session_id = conn.execute(insert(SESSION).returning(SESSION.c.id).values(
            subject_kind=parsed.kind.value, subject_id=parsed.id, meets_on=meeting, data_cutoff=cutoff,
            frozen_at=now, attendees="\n".join(map(str, people)), created_by=viewer.user_id,
            created_at=now)).scalar_one()
        record(conn, actor=str(viewer.user_id), action="create", object_type="citistat_session",
               object_id=str(session_id), after={"subject": parsed.key, "meets_on": meeting, "data_cutoff": cutoff,
                                                 "attendees": [str(a) for a in people]})
        _add_suggestions(conn, gate, viewer, session_id, parsed, now, cutoff)
    return int(session_id)


def refreeze(gate: Gate, viewer: Viewer, session_id: int) -> None:
    """Take the latest data (before the meeting only); measures the rule now suggests join the agenda."""
    _require_admin(viewer)
    current = session(viewer, session_id)
    if gate.today() > current.meets_on:
        raise InputError("The meeting has happened: its snapshot stays as it was in the room")
    now = utcnow()
    with get_engine().begin() as conn:
        conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(frozen_at=now))
        record(conn, actor=str(viewer.user_id), action="refreeze", object_type="citistat_session",
               object_id=str(session_id), before={"frozen_at": current.frozen_at}, after={"frozen_at": now})
        _add_suggestions(conn, gate, viewer, session_id, current.subject, now, current.data_cutoff)


def _add_suggestions(conn: Connection, gate: Gate, viewer: Viewer, session_id: int, subject: Subject,
                     frozen_at: dt.datetime, cutoff: dt.date) -> None:
    view = frozen_view(gate, viewer, subject, frozen_at, cutoff)
    fy_start = gate.registry.city.fiscal_year_start_month
    present = {r.metric_id for r in conn.execute(select(ITEM.c.metric_id).where(ITEM.c.session_id == session_id))}
    position = _last_position(conn, session_id)
    for suggestion in suggest(view.metrics.values(), view.values, view.assessments, fy_start):
        if suggestion.metric.id in present:
            continue
        position += 1
        reasons = ",".join(r.value for r in suggestion.reasons)
        item_id = conn.execute(insert(ITEM).returning(ITEM.c.id).values(
            session_id=session_id, metric_id=suggestion.metric.id, position=position, origin=Origin.RULE.value,
            reasons=reasons, explanation=suggestion.explanation, removed=False, analyst_note=None,
            updated_by=viewer.user_id, updated_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action="suggest", object_type="agenda_item", object_id=str(item_id),
               after={"session": session_id, "metric": suggestion.metric.id, "reasons": reasons})


def _last_position(conn: Connection, session_id: int) -> int:
    return int(conn.execute(select(func.coalesce(func.max(ITEM.c.position), 0))
                            .where(ITEM.c.session_id == session_id)).scalar_one())


# --- agenda edits (admins) -----------------------------------------------------------------------------------
def add_item(gate: Gate, viewer: Viewer, session_id: int, metric_id: str, note: str) -> None:
    """Put a measure on the agenda by hand (or back on it), with the analyst's reason."""
    _require_admin(viewer)
    session(viewer, session_id)
    try:
        gate.metric(viewer, metric_id)
    except (NotFound, Forbidden):
        raise InputError(f"Measure: no measure '{metric_id[:80]}'") from None
    note = _note(note)
    with get_engine().begin() as conn:
        existing = conn.execute(select(ITEM).where(ITEM.c.session_id == session_id,
                                                   ITEM.c.metric_id == metric_id)).first()
        if existing is not None and not existing.removed:
            raise InputError("Measure: it is already on the agenda")
        position = _last_position(conn, session_id) + 1
        if existing is not None:
            conn.execute(update(ITEM).where(ITEM.c.id == existing.id).values(
                removed=False, analyst_note=note, position=position, updated_by=viewer.user_id, updated_at=utcnow()))
            item_id = existing.id
        else:
            item_id = conn.execute(insert(ITEM).returning(ITEM.c.id).values(
                session_id=session_id, metric_id=metric_id, position=position, origin=Origin.ANALYST.value,
                reasons="", explanation="", removed=False, analyst_note=note, updated_by=viewer.user_id,
                updated_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action="add", object_type="agenda_item", object_id=str(item_id),
               after={"session": session_id, "metric": metric_id, "note": note})


def remove_item(viewer: Viewer, session_id: int, item_id: int, note: str) -> None:
    """Take an item off the agenda; the item and the reason stay on record."""
    _require_admin(viewer)
    item = _item(session_id, item_id)
    note = _note(note)
    with get_engine().begin() as conn:
        conn.execute(update(ITEM).where(ITEM.c.id == item_id).values(
            removed=True, analyst_note=note, updated_by=viewer.user_id, updated_at=utcnow()))
        record(conn, actor=str(viewer.user_id), action="remove", object_type="agenda_item", object_id=str(item_id),
               before={"removed": item.removed, "note": item.analyst_note}, after={"removed": True, "note": note})


def move_item(viewer: Viewer, session_id: int, item_id: int, step: int) -> None:
    """Swap an item with its neighbour above (``step`` -1) or below (+1) among the items still on the agenda."""
    _require_admin(viewer)
    _item(session_id, item_id)
    kept = [e for e in agenda(viewer, session_id) if not e.removed]
    index = next(i for i, e in enumerate(kept) if e.id == item_id)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(kept):
        return
    mine, theirs = kept[index], kept[other]
    with get_engine().begin() as conn:
        conn.execute(update(ITEM).where(ITEM.c.id == mine.id).values(position=theirs.position))
        conn.execute(update(ITEM).where(ITEM.c.id == theirs.id).values(position=mine.position))
        record(conn, actor=str(viewer.user_id), action="reorder", object_type="agenda_item", object_id=str(item_id),
               before={"position": mine.position}, after={"position": theirs.position})


def _note(note: str) -> str:
    return required_text(note, "Reason (kept with the agenda's history)", MAX_NOTE)


def _item(session_id: int, item_id: int) -> AgendaEntry:
    with get_engine().connect() as conn:
        row = conn.execute(select(ITEM).where(ITEM.c.id == item_id, ITEM.c.session_id == session_id)).first()
    if row is None:
        raise NotFound(f"no agenda item {item_id} in session {session_id}")
    return _entry(row)


def _require_admin(viewer: Viewer) -> None:
    if not viewer.can_manage:
        raise Forbidden("only the performance team changes CitiStat sessions")


# --- reads ---------------------------------------------------------------------------------------------------
def sessions(viewer: Viewer) -> list[Session]:
    """Every session this viewer may see, latest meeting first."""
    if not viewer.internal:
        raise Forbidden("sign in to see CitiStat sessions")
    with get_engine().connect() as conn:
        rows = conn.execute(select(SESSION).order_by(SESSION.c.meets_on.desc(), SESSION.c.id.desc())).all()
        owners = _follow_up_agencies(conn)
    return [_session(r) for r in rows if _may_see(viewer, r, owners.get(r.id, set()))]


def session(viewer: Viewer, session_id: int) -> Session:
    """One session, if the viewer may see it (``NotFound`` otherwise: others' sessions are not revealed)."""
    if not viewer.internal:
        raise Forbidden("sign in to see CitiStat sessions")
    with get_engine().connect() as conn:
        row = conn.execute(select(SESSION).where(SESSION.c.id == session_id)).first()
        owners = _follow_up_agencies(conn, session_id)
    if row is None or not _may_see(viewer, row, owners.get(session_id, set())):
        raise NotFound(f"no session {session_id}")
    return _session(row)


def agenda(viewer: Viewer, session_id: int) -> list[AgendaEntry]:
    session(viewer, session_id)
    with get_engine().connect() as conn:
        rows = conn.execute(select(ITEM).where(ITEM.c.session_id == session_id).order_by(ITEM.c.position))
        return [_entry(r) for r in rows]


def previous_session(viewer: Viewer, current: Session) -> Session | None:
    """The latest earlier session on the same subject."""
    earlier = [s for s in sessions(viewer) if s.subject == current.subject and s.meets_on < current.meets_on]
    return earlier[0] if earlier else None


def _may_see(viewer: Viewer, row: Any, follow_up_agencies: set[str]) -> bool:
    subject_agency = row.subject_id if row.subject_kind == SubjectKind.AGENCY.value else None
    return viewer.can_see_session(subject_agency, follow_up_agencies)


def _follow_up_agencies(conn: Connection, session_id: int | None = None) -> dict[int, set[str]]:
    query = select(FOLLOW.c.session_id, FOLLOW.c.owner_agency).distinct()
    if session_id is not None:
        query = query.where(FOLLOW.c.session_id == session_id)
    owners: dict[int, set[str]] = {}
    for r in conn.execute(query):
        owners.setdefault(r.session_id, set()).add(r.owner_agency)
    return owners


def _session(row: Any) -> Session:
    attendees = tuple(Attendee(*(part.strip() for part in line.split(":", 1)))
                      for line in row.attendees.splitlines() if ":" in line)
    return Session(row.id, Subject(SubjectKind(row.subject_kind), row.subject_id), row.meets_on, row.data_cutoff,
                   aware(row.frozen_at), attendees, row.created_by)


def _entry(row: Any) -> AgendaEntry:
    return AgendaEntry(row.id, row.metric_id, row.position, Origin(row.origin),
                       tuple(Reason(r) for r in row.reasons.split(",") if r), row.explanation, row.removed,
                       row.analyst_note)
