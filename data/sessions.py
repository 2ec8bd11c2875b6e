"""CitiStat sessions as read: who may see them, their agendas (ranked, with what was also considered), and the
decisions recorded in the meeting. Changing them is :mod:`data.session_changes`'s.

Admins (the Mayor's office) create sessions and shape agendas. Agency users see sessions about their
agencies and sessions that gave their agencies a follow-up; internal viewers see every session.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from data.citistat_models import AgendaItem, CitiStatSession, FollowUp, SessionDecision
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError
from data.models import aware
from data.policy import Viewer
from metrics.escalation import Reason
from metrics.periods import add_months
from metrics.subjects import Subject, SubjectKind

SESSION = CitiStatSession.__table__  # type: ignore[attr-defined]
ITEM = AgendaItem.__table__  # type: ignore[attr-defined]
FOLLOW = FollowUp.__table__  # type: ignore[attr-defined]
DECISION = SessionDecision.__table__  # type: ignore[attr-defined]
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


class Origin(StrEnum):
    RULE = "rule"  # suggested by metrics.escalation
    ANALYST = "analyst"  # added by hand


@dataclass(frozen=True)
class Attendee:
    role: str
    name: str
    email: str | None = None  # where the pre-read goes

    def __str__(self) -> str:
        return f"{self.role}: {self.name}" + (f" <{self.email}>" if self.email else "")

    @property
    def shown(self) -> str:
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
    agenda_size: int = 8
    window_months: int = 18
    cancelled: str | None = None  # why it was cancelled, if it was

    @property
    def since(self) -> dt.date:
        """No agenda reason rests on a period that ended before this day."""
        return add_months(dt.date(self.data_cutoff.year, self.data_cutoff.month, 1), -self.window_months)

    @property
    def summary(self) -> str:
        """When it meets, which data it holds, and when that data was frozen."""
        return (f"Meeting {self.meets_on:%A, %B %-d, %Y}. Data from {self.since:%B %Y} through "
                f"{self.data_cutoff:%B %-d, %Y}, as recorded {self.frozen_at:%Y-%m-%d %H:%M} UTC")

    @property
    def attendee_list(self) -> str:
        return "; ".join(a.shown for a in self.attendees)

    def colours_on(self, today: dt.date) -> dt.date:
        """The day follow-up colours are read on: today, or the meeting day once it has passed."""
        return min(today, self.meets_on)


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
    considered: bool = False  # ranked below the agenda's size: listed, not discussed
    severity: float | None = None
    severity_words: str = ""


@dataclass(frozen=True)
class Decision:
    id: int
    text: str
    metric_id: str | None
    recorded_by: str
    recorded_at: dt.datetime


def parse_attendees(text: str) -> tuple[Attendee, ...]:
    """One attendee per line as ``Role: Name``, with an e-mail address for the pre-read as ``<name@city.gov>``."""
    attendees = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        role, colon, rest = line.partition(":")
        name, _, address = rest.partition("<")
        email = address.removesuffix(">").strip() if address else None
        if not colon or not role.strip() or not name.strip() or len(line) > 300 \
                or (address and not (address.strip().endswith(">") and email and _EMAIL.fullmatch(email))):
            raise InputError(f"Attendees, line {number}: write 'Role: Name', with an e-mail address for the pre-read "
                             "if you like (for example 'Director: Jane Doe <jane.doe@city.gov>')")
        attendees.append(Attendee(role.strip(), name.strip(), email))
    return tuple(attendees)


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
    """Every item of the agenda, in order: on it, taken off, and also considered."""
    session(viewer, session_id)
    with get_engine().connect() as conn:
        rows = conn.execute(select(ITEM).where(ITEM.c.session_id == session_id).order_by(ITEM.c.position))
        return [entry_of(r) for r in rows]


def decisions(viewer: Viewer, session_id: int) -> list[Decision]:
    """The decisions recorded in the meeting, in the order they were taken (withdrawn ones left out)."""
    session(viewer, session_id)
    with get_engine().connect() as conn:
        rows = conn.execute(select(DECISION).where(DECISION.c.session_id == session_id,
                                                   DECISION.c.withdrawn_at.is_(None)).order_by(DECISION.c.id))
        return [Decision(r.id, r.text, r.metric_id, r.recorded_by, aware(r.recorded_at)) for r in rows]


def previous_session(viewer: Viewer, current: Session) -> Session | None:
    """The latest earlier session on the same subject that was held."""
    earlier = [s for s in sessions(viewer) if s.subject == current.subject and s.meets_on < current.meets_on
               and s.cancelled is None]
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
    try:
        attendees = parse_attendees(row.attendees)
    except InputError:  # written before e-mail addresses were read: as it was
        attendees = tuple(Attendee(*(part.strip() for part in line.split(":", 1)))
                          for line in row.attendees.splitlines() if ":" in line)
    return Session(row.id, Subject(SubjectKind(row.subject_kind), row.subject_id), row.meets_on, row.data_cutoff,
                   aware(row.frozen_at), attendees, row.created_by, row.agenda_size,
                   row.window_months, row.cancel_reason if row.cancelled_at else None)


def entry_of(row: Any) -> AgendaEntry:
    return AgendaEntry(row.id, row.metric_id, row.position, Origin(row.origin),
                       tuple(Reason(r) for r in row.reasons.split(",") if r), row.explanation, row.removed,
                       row.analyst_note, row.considered, row.severity, row.severity_words or "")
