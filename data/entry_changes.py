"""Changing a data call's entries: the agency saves drafts and submits its batch, the performance team returns or
accepts each figure. Who may do what is asked of the policy; every change is audited with before and after."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, update

from data.access import Gate
from data.audit import record
from data.data_calls import ENTRY, MAX_NOTE, Entry, check, entries, entry
from data.db import get_engine
from data.errors import Forbidden
from data.input import InputError, note_text, required_text
from data.models import utcnow
from data.policy import Viewer
from metrics.reporting import EDITABLE, EntryCheck, EntryState

ENTRY_FIELDS = ("state", "value", "numerator", "denominator", "note", "prior_note", "return_reason",
                "restatement_reason")


def save_draft(gate: Gate, viewer: Viewer, call_id: int, metric_id: str, *, value: str, numerator: str = "",
               denominator: str = "", note: str = "", prior_note: str = "") -> EntryCheck:
    """Save what the agency typed as a draft (a submitted entry goes back to draft). Refuses unreadable figures."""
    current = _editable(gate, viewer, call_id, metric_id)
    checked = check(gate, viewer, current, value=value, numerator=numerator, denominator=denominator)
    if checked.errors:
        raise InputError(checked.errors[0])
    changes = {"state": EntryState.DRAFT, "value": checked.value.value, "numerator": checked.numerator.value,
               "denominator": checked.denominator.value, "note": _note(note, "Note"),
               "prior_note": _note(prior_note, "Note on the prior year's actual")}
    with get_engine().begin() as conn:
        _change(conn, viewer, current, "save draft", changes)
    return checked


def save_drafts(conn: Connection, gate: Gate, viewer: Viewer, call_id: int,
                rows: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Several drafts in the caller's transaction (a confirmed upload); each row's figures were checked already."""
    saved = 0
    for metric_id, changes in rows:
        current = _editable(gate, viewer, call_id, metric_id)
        _change(conn, viewer, current, "save draft (upload)", {"state": EntryState.DRAFT, **changes})
        saved += 1
    return saved


def _editable(gate: Gate, viewer: Viewer, call_id: int, metric_id: str) -> Entry:
    current = _open(entry(gate, viewer, call_id, metric_id))
    if not viewer.can_enter_for(current.agency):
        raise Forbidden("only the measure's agency and the performance team enter its figures")
    if current.state not in EDITABLE:
        raise InputError(f"{current.metric.title}: already accepted; ask the performance team to return it for a "
                         "correction")
    return current


def _note(note: str, field: str) -> str | None:
    return note_text(note, field, MAX_NOTE)


def submit(gate: Gate, viewer: Viewer, call_id: int, agency: str) -> int:
    """Send every draft of ``agency`` to the performance team, all or none: each needs a figure, and a note where
    it misses its target, moves sharply or a quality rule flags it. Returns how many were submitted."""
    if not viewer.can_enter_for(agency):
        raise Forbidden("only the agency and the performance team submit its figures")
    batch = entries(gate, viewer, call_id, agency=agency)
    drafts = [_open(e) for e in batch if e.state is EntryState.DRAFT]
    if not drafts:
        raise InputError("Submit: there is no draft to submit (save figures as drafts first)")
    missing = []
    for e in drafts:
        checked = check(gate, viewer, e, value=e.value, numerator=e.numerator, denominator=e.denominator)
        if e.value is None:
            missing.append(f"{e.metric.title} has no figure")
        elif checked.note_reasons and not e.note:
            missing.append(f"{e.metric.title} needs a note ({checked.note_reasons[0]})")
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        unstarted = sum(e.state in (EntryState.NOT_STARTED, EntryState.RETURNED) for e in batch)
        later = f" ({unstarted} other measure{'s are' if unstarted > 1 else ' is'} still to report)" \
            if unstarted else ""
        raise InputError(f"Submit: nothing was sent. {len(missing)} draft{'s' if len(missing) > 1 else ''} "
                         f"to complete first: {'; '.join(missing[:3])}{more}{later}")
    now = utcnow()
    with get_engine().begin() as conn:
        for e in drafts:
            _change(conn, viewer, e, "submit", {"state": EntryState.SUBMITTED, "submitted_at": now})
    return len(drafts)


def return_entry(gate: Gate, viewer: Viewer, call_id: int, metric_id: str, reason: str) -> None:
    """Send a submitted (or accepted) figure back to its agency with the reason."""
    current = _reviewable(gate, viewer, call_id, metric_id, (EntryState.SUBMITTED, EntryState.ACCEPTED))
    why = required_text(reason, "Reason for returning", MAX_NOTE)
    with get_engine().begin() as conn:
        _change(conn, viewer, current, "return", {"state": EntryState.RETURNED, "return_reason": why,
                                                  "reviewed_by": viewer.user_id, "reviewed_at": utcnow()})


def accept(gate: Gate, viewer: Viewer, call_id: int, metric_id: str, restatement_reason: str | None) -> Entry:
    """Accept a submitted figure; ``restatement_reason`` is kept when it will replace a published figure."""
    current = _reviewable(gate, viewer, call_id, metric_id, (EntryState.SUBMITTED,))
    with get_engine().begin() as conn:
        _change(conn, viewer, current, "accept", {"state": EntryState.ACCEPTED, "reviewed_by": viewer.user_id,
                                                  "reviewed_at": utcnow(), "restatement_reason": restatement_reason,
                                                  "published_at": None})
    return entry(gate, viewer, call_id, metric_id)


def _reviewable(gate: Gate, viewer: Viewer, call_id: int, metric_id: str, states: tuple[EntryState, ...]) -> Entry:
    if not viewer.can_review_reports:
        raise Forbidden("only the performance team reviews figures")
    current = _open(entry(gate, viewer, call_id, metric_id))
    if current.state not in states:
        raise InputError(f"{current.metric.title}: it is {current.state.label.lower()}, so it cannot be reviewed now")
    return current


def _open(current: Entry) -> Entry:
    if current.call.cancelled is not None:
        raise InputError(f"This data call was cancelled ({current.call.cancelled}): nothing in it can change")
    return current


def _change(conn: Connection, viewer: Viewer, current: Entry, action: str, changes: dict[str, Any]) -> None:
    """Apply ``changes`` if the entry is still in the state it was read in (else someone changed it meanwhile)."""
    before = {k: getattr(current, k) for k in ENTRY_FIELDS if k in changes}
    changed = conn.execute(update(ENTRY).where(ENTRY.c.id == current.id, ENTRY.c.state == current.state).values(
        **changes, updated_by=viewer.user_id, updated_at=utcnow())).rowcount
    if changed != 1:
        raise InputError(f"{current.metric.title}: someone changed it meanwhile; reload the page and try again")
    record(conn, actor=str(viewer.user_id), action=action, object_type="reported_entry",
           object_id=f"{current.call.id}:{current.metric.id}", before=before,
           after={k: v for k, v in changes.items() if k in ENTRY_FIELDS})
