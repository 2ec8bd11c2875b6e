"""Changing CitiStat sessions (the performance team's): create with a ranked agenda, edit or cancel before the
meeting, take the latest data, shape the agenda, record the meeting's decisions. Every change is audited with the
object before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from data.access import Gate
from data.audit import record
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.frozen import frozen_view
from data.input import InputError, parse_date, required_text
from data.models import utcnow
from data.policy import Viewer
from data.sessions import DECISION, ITEM, SESSION, AgendaEntry, Origin, Session, entry_of, parse_attendees, session
from metrics.escalation import suggest
from metrics.severity import rank
from metrics.subjects import Subject, SubjectError

MAX_NOTE = 1000
AGENDA_SIZES = range(1, 31)
WINDOWS = range(3, 61)  # months
MEETING_YEARS = 10  # a meeting date further from today, or a cutoff further before it, is a typo


def create_session(gate: Gate, viewer: Viewer, *, subject: str, meets_on: str, data_cutoff: str,
                   attendees: str, agenda_size: str = "8", window_months: str = "18") -> int:
    """A new session with the rule's ranked agenda (the top ``agenda_size``; the rest also considered), frozen now."""
    _require_admin(viewer)
    try:
        parsed = Subject.parse(subject, gate.registry)
    except SubjectError as exc:
        raise InputError(f"Subject: {exc}") from None
    meeting, cutoff = _dates(gate, meets_on, data_cutoff)
    people = parse_attendees(attendees)
    size = _whole(agenda_size, "Agenda size", AGENDA_SIZES)
    window = _whole(window_months, "Data window (months)", WINDOWS)
    now = utcnow()
    values = {"subject": parsed.key, "meets_on": meeting, "data_cutoff": cutoff,
              "attendees": [str(a) for a in people], "agenda_size": size, "window_months": window}
    with get_engine().begin() as conn:
        session_id = conn.execute(insert(SESSION).returning(SESSION.c.id).values(
            subject_kind=parsed.kind.value, subject_id=parsed.id, meets_on=meeting, data_cutoff=cutoff,
            frozen_at=now, attendees="\n".join(map(str, people)), created_by=viewer.user_id, created_at=now,
            agenda_size=size, window_months=window)).scalar_one()
        record(conn, actor=str(viewer.user_id), action="create", object_type="citistat_session",
               object_id=str(session_id), after=values)
    try:
        with get_engine().begin() as conn:
            add_suggestions(conn, gate, viewer, session(viewer, int(session_id)))
    except Exception:  # never leave a session without its agenda behind
        with get_engine().begin() as conn:
            conn.execute(delete(ITEM).where(ITEM.c.session_id == session_id))
            conn.execute(delete(SESSION).where(SESSION.c.id == session_id))
        raise
    return int(session_id)


def edit_session(gate: Gate, viewer: Viewer, session_id: int, *, meets_on: str, data_cutoff: str,
                 attendees: str) -> None:
    """Change the meeting date, the cutoff or the attendees before the meeting; a new cutoff retakes the data."""
    current = _before_meeting(gate, viewer, session_id)
    meeting, cutoff = _dates(gate, meets_on, data_cutoff)
    if meeting < gate.today():
        raise InputError("Meeting date: a session not yet held can only move to today or later")
    people = parse_attendees(attendees)
    changes: dict[str, Any] = {"meets_on": meeting, "data_cutoff": cutoff,
                               "attendees": "\n".join(map(str, people))}
    if cutoff != current.data_cutoff:
        changes["frozen_at"] = utcnow()
    before = {"meets_on": current.meets_on, "data_cutoff": current.data_cutoff,
              "attendees": "\n".join(map(str, current.attendees))}
    with get_engine().begin() as conn:
        conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(**changes))
        record(conn, actor=str(viewer.user_id), action="edit", object_type="citistat_session",
               object_id=str(session_id), before=before, after=changes)
    if "frozen_at" in changes:
        with get_engine().begin() as conn:
            add_suggestions(conn, gate, viewer, session(viewer, session_id))


def cancel_session(gate: Gate, viewer: Viewer, session_id: int, reason: str) -> None:
    """Call a meeting off before it happens; it stays on record with the reason, and sends no pre-read."""
    current = _before_meeting(gate, viewer, session_id)
    why = required_text(reason, "Reason for cancelling", MAX_NOTE)
    with get_engine().begin() as conn:
        conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(cancelled_at=utcnow(),
                                                                             cancel_reason=why))
        record(conn, actor=str(viewer.user_id), action="cancel", object_type="citistat_session",
               object_id=str(session_id), before={"cancelled": current.cancelled}, after={"cancelled": why})


def refreeze(gate: Gate, viewer: Viewer, session_id: int) -> None:
    """Take the latest data (before the meeting only); measures the rule now suggests join the ranking."""
    current = _before_meeting(gate, viewer, session_id)
    now = utcnow()
    with get_engine().begin() as conn:
        conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(frozen_at=now))
        record(conn, actor=str(viewer.user_id), action="refreeze", object_type="citistat_session",
               object_id=str(session_id), before={"frozen_at": current.frozen_at}, after={"frozen_at": now})
    with get_engine().begin() as conn:
        add_suggestions(conn, gate, viewer, session(viewer, session_id))


def add_suggestions(conn: Connection, gate: Gate, viewer: Viewer, current: Session) -> None:
    """The rule's suggestions on the frozen data, most severe first: the agenda takes them until it holds its
    size, the rest are also considered. Measures already listed keep their place."""
    view = frozen_view(gate, viewer, current.subject, current.frozen_at, current.data_cutoff)
    fy_start = gate.registry.city.fiscal_year_start_month
    rows = conn.execute(select(ITEM).where(ITEM.c.session_id == current.id)).all()
    present = {r.metric_id for r in rows}
    on_agenda = sum(not r.removed and not r.considered for r in rows)
    position = _last_position(conn, current.id)
    found = suggest(view.metrics.values(), view.values, view.assessments, fy_start, current.since)
    for ranked in rank(found, view.values, fy_start, current.since):
        suggestion, severity = ranked.suggestion, ranked.severity
        if suggestion.metric.id in present:
            continue
        position += 1
        considered = on_agenda >= current.agenda_size
        on_agenda += not considered
        reasons = ",".join(r.value for r in suggestion.reasons)
        item_id = conn.execute(insert(ITEM).returning(ITEM.c.id).values(
            session_id=current.id, metric_id=suggestion.metric.id, position=position, origin=Origin.RULE.value,
            reasons=reasons, explanation=suggestion.explanation, removed=False, considered=considered,
            severity=severity.score, severity_words=severity.words, analyst_note=None, updated_by=viewer.user_id,
            updated_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action="suggest", object_type="agenda_item", object_id=str(item_id),
               after={"session": current.id, "metric": suggestion.metric.id, "reasons": reasons,
                      "severity": round(severity.score, 4), "considered": considered})


def _last_position(conn: Connection, session_id: int) -> int:
    return int(conn.execute(select(func.coalesce(func.max(ITEM.c.position), 0))
                            .where(ITEM.c.session_id == session_id)).scalar_one())


# --- agenda edits ----------------------------------------------------------------------------------------------
def add_item(gate: Gate, viewer: Viewer, session_id: int, metric_id: str, note: str) -> None:
    """Put a measure on the agenda by hand (back on it, or up from the also-considered), with the reason."""
    _before_meeting(gate, viewer, session_id)
    try:
        gate.metric(viewer, metric_id)
    except (NotFound, Forbidden):
        raise InputError(f"Measure: no measure '{metric_id[:80]}'") from None
    note = _note(note)
    with get_engine().begin() as conn:
        existing = conn.execute(select(ITEM).where(ITEM.c.session_id == session_id,
                                                   ITEM.c.metric_id == metric_id)).first()
        if existing is not None and not existing.removed and not existing.considered:
            raise InputError("Measure: it is already on the agenda")
        position = _last_position(conn, session_id) + 1
        if existing is not None:
            conn.execute(update(ITEM).where(ITEM.c.id == existing.id).values(
                removed=False, considered=False, analyst_note=note, position=position, updated_by=viewer.user_id,
                updated_at=utcnow()))
            item_id = existing.id
        else:
            item_id = conn.execute(insert(ITEM).returning(ITEM.c.id).values(
                session_id=session_id, metric_id=metric_id, position=position, origin=Origin.ANALYST.value,
                reasons="", explanation="", removed=False, considered=False, analyst_note=note,
                updated_by=viewer.user_id, updated_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action="add", object_type="agenda_item", object_id=str(item_id),
               after={"session": session_id, "metric": metric_id, "note": note})


def remove_item(gate: Gate, viewer: Viewer, session_id: int, item_id: int, note: str) -> None:
    """Take an item off the agenda before the meeting; the item and the reason stay on record."""
    _before_meeting(gate, viewer, session_id)
    item = _item(session_id, item_id)
    note = _note(note)
    with get_engine().begin() as conn:
        conn.execute(update(ITEM).where(ITEM.c.id == item_id).values(
            removed=True, analyst_note=note, updated_by=viewer.user_id, updated_at=utcnow()))
        record(conn, actor=str(viewer.user_id), action="remove", object_type="agenda_item", object_id=str(item_id),
               before={"removed": item.removed, "note": item.analyst_note}, after={"removed": True, "note": note})


def move_item(gate: Gate, viewer: Viewer, session_id: int, item_id: int, step: int) -> None:
    """Swap an item with its neighbour above (``step`` -1) or below (+1) on the agenda, before the meeting."""
    _before_meeting(gate, viewer, session_id)
    _item(session_id, item_id)
    with get_engine().connect() as conn:
        rows = conn.execute(select(ITEM).where(ITEM.c.session_id == session_id).order_by(ITEM.c.position)).all()
    kept = [e for e in map(entry_of, rows) if not e.removed and not e.considered]
    index = next((i for i, e in enumerate(kept) if e.id == item_id), None)
    other = None if index is None else index + (1 if step > 0 else -1)
    if index is None or other is None or not 0 <= other < len(kept):
        return
    mine, theirs = kept[index], kept[other]
    with get_engine().begin() as conn:
        conn.execute(update(ITEM).where(ITEM.c.id == mine.id).values(position=theirs.position))
        conn.execute(update(ITEM).where(ITEM.c.id == theirs.id).values(position=mine.position))
        record(conn, actor=str(viewer.user_id), action="reorder", object_type="agenda_item", object_id=str(item_id),
               before={"position": mine.position}, after={"position": theirs.position})


# --- the meeting's record --------------------------------------------------------------------------------------
def record_decision(gate: Gate, viewer: Viewer, session_id: int, text: str, metric_id: str = "") -> int:
    """A decision taken in the meeting (during it or right after), about one agenda measure or the whole session."""
    _require_admin(viewer)
    current = session(viewer, session_id)
    if current.cancelled is not None:
        raise InputError("Decision: the meeting was cancelled")
    decided = required_text(text, "Decision", MAX_NOTE * 2)
    if metric_id and metric_id not in gate.registry.metrics:
        raise InputError(f"Decision: no measure '{metric_id[:80]}'")
    values = {"session_id": session_id, "text": decided, "metric_id": metric_id or None}
    with get_engine().begin() as conn:
        decision_id = conn.execute(insert(DECISION).returning(DECISION.c.id).values(
            **values, recorded_by=viewer.user_id, recorded_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action="decide", object_type="session_decision",
               object_id=str(decision_id), after=values)
    return int(decision_id)


def withdraw_decision(viewer: Viewer, session_id: int, decision_id: int) -> None:
    """Strike a decision recorded by mistake; it stays on record."""
    _require_admin(viewer)
    session(viewer, session_id)
    with get_engine().begin() as conn:
        row = conn.execute(select(DECISION).where(DECISION.c.id == decision_id,
                                                  DECISION.c.session_id == session_id)).first()
        if row is None:
            raise NotFound(f"no decision {decision_id}")
        conn.execute(update(DECISION).where(DECISION.c.id == decision_id).values(withdrawn_at=utcnow()))
        record(conn, actor=str(viewer.user_id), action="withdraw", object_type="session_decision",
               object_id=str(decision_id), before={"text": row.text}, after={"withdrawn": True})


def _before_meeting(gate: Gate, viewer: Viewer, session_id: int) -> Session:
    _require_admin(viewer)
    current = session(viewer, session_id)
    if current.cancelled is not None:
        raise InputError("The meeting was cancelled")
    if gate.today() > current.meets_on:
        raise InputError("The meeting has happened: the session stays as it was in the room")
    return current


def _dates(gate: Gate, meets_on: str, data_cutoff: str) -> tuple[dt.date, dt.date]:
    """The meeting date (within ``MEETING_YEARS`` of today) and its data cutoff (on or before it, within the
    same span before it)."""
    meeting, cutoff = parse_date(meets_on, "Meeting date"), parse_date(data_cutoff, "Data cutoff")
    span = dt.timedelta(days=365 * MEETING_YEARS)
    if abs(meeting - gate.today()) > span:
        raise InputError(f"Meeting date: it must be within {MEETING_YEARS} years of today")
    if cutoff > meeting:
        raise InputError("Data cutoff: it must be on or before the meeting date")
    if meeting - cutoff > span:
        raise InputError(f"Data cutoff: it must be within {MEETING_YEARS} years before the meeting")
    return meeting, cutoff


def _whole(text: str, field: str, allowed: range) -> int:
    if not text.strip().isdigit() or int(text) not in allowed:
        raise InputError(f"{field}: a whole number from {allowed.start} to {allowed.stop - 1}")
    return int(text)


def _note(note: str) -> str:
    return required_text(note, "Reason (kept with the agenda's history)", MAX_NOTE)


def _item(session_id: int, item_id: int) -> AgendaEntry:
    with get_engine().connect() as conn:
        row = conn.execute(select(ITEM).where(ITEM.c.id == item_id, ITEM.c.session_id == session_id)).first()
    if row is None:
        raise NotFound(f"no agenda item {item_id} in session {session_id}")
    return entry_of(row)


def _require_admin(viewer: Viewer) -> None:
    if not viewer.can_manage:
        raise Forbidden("only the performance team changes CitiStat sessions")

