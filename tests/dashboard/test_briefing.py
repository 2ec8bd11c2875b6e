"""The briefing a CitiStat session shows (page, memo and PDF): read from the session's frozen view, so later
restatements and data after the cutoff never change it, and measures from outside the subject are judged
citywide."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.briefing import briefing
from data import session_changes, sessions
from data.access import Gate
from data.db import get_engine
from data.input import InputError
from data.store import write_values
from metrics.values import ValueRow
from tests.helpers import ADMIN, PUBLIC_WORKS, new_session, put_months


def test_snapshot_is_unchanged_after_a_restatement(gate: Gate) -> None:
    first = new_session(gate)
    before = briefing(gate, ADMIN, first)
    put_months([8, 9, 30, 15])  # September restated after the session was frozen
    again = briefing(gate, ADMIN, first)
    assert [p.value for p in again.items[0].points] == [p.value for p in before.items[0].points] == [8, 9, 14, 15]
    assert again.items[0].assessment == before.items[0].assessment
    assert gate.values(ADMIN, "events_count", grain="month")[2].value == 30  # the live value did change

    second = new_session(gate, meets_on="2025-12-03", cutoff="2025-11-30")
    later = briefing(gate, ADMIN, second)
    assert [p.value for p in later.items[0].points] == [8, 9, 30, 15]
    assert later.previous is not None and later.previous.id == first
    assert later.items[0].change is not None and later.items[0].change.restated == (("Sep 2025", 14, 30),)


def test_cutoff_keeps_later_periods_out(gate: Gate) -> None:
    session_id = new_session(gate, meets_on=(gate.today() + dt.timedelta(days=2)).isoformat(), cutoff="2025-09-30")
    assert sessions.agenda(ADMIN, session_id) == []  # by September it had missed only once, and not by far
    session_changes.add_item(gate, ADMIN, session_id, "events_count", "Watch September")
    points = briefing(gate, ADMIN, session_id).items[0].points
    assert [p.label for p in points] == ["Jul 2025", "Aug 2025", "Sep 2025"]


def test_latest_data_can_be_taken_before_the_meeting_only(gate: Gate) -> None:
    past = new_session(gate)
    with pytest.raises(InputError, match="The meeting has happened"):
        session_changes.refreeze(gate, ADMIN, past)
    upcoming = new_session(gate, meets_on=(gate.today() + dt.timedelta(days=3)).isoformat())
    frozen = sessions.session(ADMIN, upcoming).frozen_at
    put_months([8, 9, 14, 25])
    assert briefing(gate, ADMIN, upcoming).items[0].points[-1].value == 15
    session_changes.refreeze(gate, ADMIN, upcoming)
    assert sessions.session(ADMIN, upcoming).frozen_at > frozen
    assert briefing(gate, ADMIN, upcoming).items[0].points[-1].value == 25


def test_a_measure_from_outside_the_subject_is_judged_citywide(gate: Gate) -> None:
    with get_engine().begin() as conn:
        write_values(conn, "patrol_spend", [ValueRow("month", dt.date(2025, 8, 1), "city", "", 500.0),
                                            ValueRow("month", dt.date(2025, 8, 1), "council_district", "1", 70.0)],
                     run_id=None)
    session_id = new_session(gate, meets_on=(gate.today() + dt.timedelta(days=2)).isoformat())
    session_changes.add_item(gate, ADMIN, session_id, "patrol_spend", "Overtime drives the backlog")
    content = briefing(gate, ADMIN, session_id)
    added = next(i for i in content.items if i.metric.id == "patrol_spend")
    assert [p.value for p in added.points] == [500.0]
    assert "patrol_spend" not in {m.id for m in content.candidates}
    assert all(i.metric.id != "patrol_spend" for i in briefing(gate, PUBLIC_WORKS, session_id).items)  # hidden
