"""CitiStat sessions, follow-ups and commentary on SQLite and PostgreSQL: frozen snapshots, colours, permissions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from data import commentary, followup_store, session_changes, sessions
from data.access import Gate
from data.audit import entries
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError
from data.models import Role
from data.policy import ANONYMOUS, Viewer
from metrics.escalation import Reason
from metrics.followups import FollowUpColour
from tests.helpers import ADMIN, POLICE, PUBLIC_WORKS, new_session


def test_creating_a_session_suggests_the_agenda_and_is_audited(gate: Gate) -> None:
    session_id = new_session(gate)
    items = sessions.agenda(ADMIN, session_id)
    assert [(i.metric_id, i.reasons) for i in items] == [
        ("events_count", (Reason.MISSED_TWICE, Reason.PROJECTED_MISS))]
    assert "Sep 2025 14 vs 10" in items[0].explanation and "Oct 2025 15 vs 10" in items[0].explanation
    assert [a.name for a in sessions.session(ADMIN, session_id).attendees] == ["Dana Reyes", "Sam Lee"]
    with get_engine().connect() as conn:
        actions = [(e.action, e.object_type) for e in entries(conn)]
    assert ("create", "citistat_session") in actions and ("suggest", "agenda_item") in actions


def test_follow_up_turns_red_once_past_due_and_green_with_evidence(gate: Gate) -> None:
    today = gate.today()
    session_id = new_session(gate, meets_on=(today + dt.timedelta(days=1)).isoformat())
    due, after_due = today + dt.timedelta(days=10), today + dt.timedelta(days=11)
    plan, data = (followup_store.assign(gate, ADMIN, session_id, request=request, owner_role="Director",
                                        owner_agency="AG1", due_on=due.isoformat(), deliverable=kind,
                                        metric_ids=["events_count"])
                  for request, kind in (("Plan to cut events", "action_plan"), ("Share the data", "data")))
    assert followup_store.follow_up(gate, ADMIN, plan).colour(today) is FollowUpColour.WHITE
    assert followup_store.follow_up(gate, ADMIN, plan).colour(after_due) is FollowUpColour.RED  # nobody set it
    followup_store.report(gate, PUBLIC_WORKS, plan, started=True, closed=False, evidence="", evidence_link="")
    followup_store.report(gate, PUBLIC_WORKS, data, started=True, closed=False, evidence="", evidence_link="")
    assert followup_store.follow_up(gate, ADMIN, plan).colour(today) is FollowUpColour.YELLOW
    with pytest.raises(InputError, match="Evidence"):
        followup_store.report(gate, PUBLIC_WORKS, plan, started=True, closed=True, evidence="", evidence_link="")
    followup_store.report(gate, PUBLIC_WORKS, plan, started=True, closed=True, evidence="Plan adopted",
                          evidence_link="https://example.org/plan.pdf")
    assert followup_store.follow_up(gate, ADMIN, plan).colour(after_due) is FollowUpColour.GREEN
    assert followup_store.follow_up(gate, ADMIN, data).colour(after_due) is FollowUpColour.RED  # started is not done


def test_open_follow_ups_carry_to_the_next_session_on_the_subject(gate: Gate) -> None:
    first = new_session(gate)
    follow_up_id = followup_store.assign(gate, ADMIN, first, request="Explain September", owner_role="Director",
                                         owner_agency="AG1", due_on="2025-11-20", deliverable="memo", metric_ids=[])
    second = new_session(gate, meets_on="2025-12-03", cutoff="2025-11-30")
    assigned, carried = followup_store.for_session(gate, ADMIN, sessions.session(ADMIN, second))
    assert assigned == [] and [f.id for f in carried] == [follow_up_id]
    followup_store.report(gate, ADMIN, follow_up_id, started=True, closed=True, evidence="Memo sent", evidence_link="")
    after_closing = new_session(gate, meets_on=(gate.today() + dt.timedelta(days=7)).isoformat(), cutoff="2025-11-30")
    assert followup_store.for_session(gate, ADMIN, sessions.session(ADMIN, after_closing))[1] == []
    # the December session still shows what was open in its room
    assert [f.id for f in followup_store.for_session(gate, ADMIN, sessions.session(ADMIN, second))[1]] == [follow_up_id]


def test_agenda_edits_keep_the_reason_until_the_meeting(gate: Gate) -> None:
    session_id = new_session(gate, meets_on=(gate.today() + dt.timedelta(days=7)).isoformat())
    item = sessions.agenda(ADMIN, session_id)[0]
    with pytest.raises(InputError, match="Reason"):
        session_changes.remove_item(gate, ADMIN, session_id, item.id, "  ")
    session_changes.remove_item(gate, ADMIN, session_id, item.id, "Discussed last week")
    session_changes.add_item(gate, ADMIN, session_id, "closed_on_time", "Council asked about it")
    items = sessions.agenda(ADMIN, session_id)
    assert [(i.metric_id, i.removed, i.analyst_note) for i in items] == [
        ("events_count", True, "Discussed last week"), ("closed_on_time", False, "Council asked about it")]
    with pytest.raises(InputError, match="already on the agenda"):
        session_changes.add_item(gate, ADMIN, session_id, "closed_on_time", "again")
    session_changes.add_item(gate, ADMIN, session_id, "events_count", "Back by request")
    session_changes.move_item(gate, ADMIN, session_id, items[0].id, -1)
    assert [i.metric_id for i in sessions.agenda(ADMIN, session_id) if not i.removed] == [
        "events_count", "closed_on_time"]
    held = new_session(gate)  # its meeting has happened: the agenda stays as it was in the room
    with pytest.raises(InputError, match="The meeting has happened"):
        session_changes.add_item(gate, ADMIN, held, "closed_on_time", "Afterthought")
    with pytest.raises(InputError, match="The meeting has happened"):
        session_changes.remove_item(gate, ADMIN, held, sessions.agenda(ADMIN, held)[0].id, "Afterthought")


def test_only_admins_change_sessions_and_agencies_see_their_own(gate: Gate) -> None:
    session_id = new_session(gate)
    with pytest.raises(Forbidden):
        session_changes.create_session(gate, PUBLIC_WORKS, subject="agency:AG1", meets_on="2025-11-05",
                                data_cutoff="2025-10-31", attendees="")
    with pytest.raises(Forbidden):
        session_changes.remove_item(gate, PUBLIC_WORKS, session_id, sessions.agenda(ADMIN, session_id)[0].id, "no")
    with pytest.raises(Forbidden):
        sessions.sessions(ANONYMOUS)
    assert [s.id for s in sessions.sessions(PUBLIC_WORKS)] == [session_id]
    assert sessions.sessions(POLICE) == []
    with pytest.raises(NotFound):
        sessions.session(POLICE, session_id)
    follow_up_id = followup_store.assign(gate, ADMIN, session_id, request="Share overtime data", owner_role="Chief",
                                         owner_agency="AG2", due_on="2025-12-01", deliverable="data", metric_ids=[])
    assert [s.id for s in sessions.sessions(POLICE)] == [session_id]  # a follow-up makes the session theirs too
    with pytest.raises(Forbidden):
        followup_store.report(gate, PUBLIC_WORKS, follow_up_id, started=True, closed=False, evidence="",
                              evidence_link="")
    followup_store.report(gate, POLICE, follow_up_id, started=True, closed=False, evidence="", evidence_link="")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("subject", "agency:NOPE", "Subject: no agency 'NOPE'"),
    ("subject", "<script>", "Subject: '<script>' is not a subject"),
    ("meets_on", "next tuesday", "Meeting date: 'next tuesday' is not a date"),
    ("data_cutoff", "2026-01-01", "Data cutoff: it must be on or before the meeting date"),
    ("attendees", "Jane Doe", "Attendees, line 1"),
    ("meets_on", "9999-12-31", "Meeting date: 9999-12-31 is not a plausible date"),
    ("data_cutoff", "0001-01-01", "Data cutoff: 0001-01-01 is not a plausible date"),
    ("meets_on", "2190-01-01", "Meeting date: it must be within 10 years of today"),
    ("data_cutoff", "1950-01-01", "Data cutoff: it must be within 10 years before the meeting"),
])
def test_bad_session_input_names_the_field(gate: Gate, field: str, value: str, message: str) -> None:
    form = {"subject": "agency:AG1", "meets_on": "2025-11-05", "data_cutoff": "2025-10-31", "attendees": ""}
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        session_changes.create_session(gate, ADMIN, **{**form, field: value})
    assert sessions.sessions(ADMIN) == []


def test_a_session_cannot_move_into_the_past_and_a_cancelled_one_takes_no_follow_ups(gate: Gate) -> None:
    today = gate.today()
    session_id = new_session(gate, meets_on=(today + dt.timedelta(days=7)).isoformat(), cutoff=today.isoformat())
    with pytest.raises(InputError, match="only move to today or later"):
        session_changes.edit_session(gate, ADMIN, session_id, meets_on=(today - dt.timedelta(days=30)).isoformat(),
                                     data_cutoff=(today - dt.timedelta(days=40)).isoformat(), attendees="")
    session_changes.cancel_session(gate, ADMIN, session_id, "The director is away")
    with pytest.raises(InputError, match="the meeting was cancelled"):
        followup_store.assign(gate, ADMIN, session_id, request="A plan", owner_role="Director", owner_agency="AG1",
                              due_on=(today + dt.timedelta(days=30)).isoformat(), deliverable="memo", metric_ids=[])
    assert followup_store.follow_ups(gate, ADMIN) == []


def test_evidence_links_are_web_addresses_only(gate: Gate) -> None:
    follow_up_id = followup_store.assign(gate, ADMIN, new_session(gate), request="x", owner_role="Director",
                                         owner_agency="AG1", due_on="2025-12-01", deliverable="memo", metric_ids=[])
    with pytest.raises(InputError, match="Evidence link"):
        followup_store.report(gate, ADMIN, follow_up_id, started=True, closed=True, evidence="done",
                              evidence_link="javascript:alert(1)")


def test_commentary_visibility_and_audit(gate: Gate) -> None:
    period = "month:2025-09-01"
    public = commentary.add_comment(gate, PUBLIC_WORKS, "events_count", period=period, visibility="public",
                                    body="A storm in September.")
    commentary.add_comment(gate, ADMIN, "events_count", period=period, visibility="internal", body="Staffing gap.")
    assert [c.body for c in commentary.comments(gate, ANONYMOUS, ["events_count"])["events_count"]] == [
        "A storm in September."]
    internal_readers = (PUBLIC_WORKS, ADMIN, Viewer(Role.VIEWER, "mayors-office"))
    assert all(len(commentary.comments(gate, v, ["events_count"])["events_count"]) == 2 for v in internal_readers)
    assert [c.body for c in commentary.comments(gate, POLICE, ["events_count"])["events_count"]] == [
        "A storm in September."]  # another agency's internal commentary stays with that agency
    commentary.add_comment(gate, PUBLIC_WORKS, "events_count", period=period, visibility="staff",
                           body="Police: the towing contract ends in October.")  # marked for all City staff
    assert "Police: the towing contract ends in October." in [
        c.body for c in commentary.comments(gate, POLICE, ["events_count"])["events_count"]]
    assert len(commentary.comments(gate, ANONYMOUS, ["events_count"])["events_count"]) == 1
    with pytest.raises(InputError, match="Who can read it"):
        commentary.add_comment(gate, ADMIN, "events_count", period=period, visibility="everyone", body="x")
    with pytest.raises(Forbidden):
        commentary.add_comment(gate, POLICE, "events_count", period=period, visibility="public", body="Not ours")
    with pytest.raises(InputError, match="Period"):
        commentary.add_comment(gate, ADMIN, "events_count", period="month:2031-01-01", visibility="public", body="x")
    with pytest.raises(InputError, match="internal measure"):
        commentary.add_comment(gate, ADMIN, "patrol_spend", period=period, visibility="public", body="x")
    mayors = [c.id for c in commentary.comments(gate, ADMIN, ["events_count"])["events_count"]
              if c.body == "Staffing gap."]
    with pytest.raises(Forbidden):  # an agency withdraws its own agency's notes, not the Mayor's office's
        commentary.withdraw_comment(gate, PUBLIC_WORKS, mayors[0])
    version = commentary.version()
    commentary.withdraw_comment(gate, PUBLIC_WORKS, public)
    assert commentary.version() > version
    assert commentary.comments(gate, ANONYMOUS, ["events_count"])["events_count"] == []
    with get_engine().connect() as conn:
        withdrawn = [e for e in entries(conn, object_type="commentary") if e.action == "withdraw"]
    assert json.loads(withdrawn[0].before)["body"] == "A storm in September."


