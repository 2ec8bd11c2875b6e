"""The performance team's review of held-out values, on SQLite and PostgreSQL: who may, what it changes, the
audit, restatements, and what a session frozen before the review still shows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from data import reviews
from data.access import Gate
from data.audit import entries
from data.db import get_engine
from data.errors import Forbidden
from data.frozen import frozen_view
from data.input import InputError
from data.models import Role, utcnow
from data.policy import ANONYMOUS, Viewer
from data.store import write_values
from metrics.registry import Registry
from metrics.status import Status
from metrics.subjects import Subject, SubjectKind
from metrics.values import Flag, QualityRule, ValueRow, Verdict

ADMIN = Viewer(Role.ADMIN, "ana")
VIEWER = Viewer(Role.VIEWER, "vic")
PUBLIC_WORKS = Viewer(Role.AGENCY, "pw", frozenset({"AG1"}))
POLICE = Viewer(Role.AGENCY, "cop", frozenset({"AG2"}))
OCTOBER = "month:2025-10-01"
SPIKE = Flag(QualityRule.OUTLIER, "far outside this measure's usual range")


def put(metric_id: str, values: list[float], flagged_last: bool = True) -> None:
    """Monthly values from July 2025; the last one held out as an outlier."""
    rows = [ValueRow("month", dt.date(2025, 7 + n, 1), "city", "", v,
                     flags=(SPIKE,) if flagged_last and n == len(values) - 1 else ()) for n, v in enumerate(values)]
    with get_engine().begin() as conn:
        write_values(conn, metric_id, rows, run_id=None)


@pytest.fixture
def gate(database: str, test_registry: Registry) -> Gate:
    put("events_count", [8, 9, 9, 150])  # lower is better, 10 a month: on track unless October's 150 counts
    put("patrol_spend", [100, 110, 105, 9000])
    return Gate(test_registry)


def status(gate: Gate) -> Status:
    """What events_count's values say (its data is old, so it is stale: this is the reading behind that)."""
    assessment = gate.assessments(ADMIN, gate.today())["events_count"]
    return assessment.judged_as or assessment.status


def review(gate: Gate, verdict: str, viewer: Viewer = ADMIN, period: str = OCTOBER,
           reason: str = "Checked with the agency's data lead") -> Verdict:
    return reviews.review_value(gate, viewer, "events_count", period=period, place="city:", verdict=verdict,
                                reason=reason)


def test_a_confirmed_value_counts_again_and_the_review_is_audited(gate: Gate) -> None:
    version = gate.data_version()
    assert status(gate) is Status.ON_TRACK
    assert [(f.metric.id, f.row.verdict) for f in gate.flagged(ADMIN)] == [("events_count", None),
                                                                           ("patrol_spend", None)]
    review(gate, "confirmed")
    assert gate.data_version() != version  # cached pages and statuses are rebuilt
    assert status(gate) is Status.OFF_TRACK
    [confirmed, _] = gate.flagged(ADMIN)
    assert confirmed.row.verdict is Verdict.CONFIRMED and confirmed.review and confirmed.review.reviewer == "ana"
    with get_engine().connect() as conn:
        [entry] = entries(conn, object_type="value_review")
    assert entry.actor == "ana" and entry.action == "value confirmed"
    assert json.loads(entry.after)["value"] == 150 and json.loads(entry.after)["reason"].startswith("Checked")


def test_a_value_marked_wrong_stays_out_and_a_later_review_replaces_the_earlier(gate: Gate) -> None:
    review(gate, "wrong", reason="The agency double-counted October")
    assert status(gate) is Status.ON_TRACK
    review(gate, "confirmed", reason="The agency resent October: it is right")
    assert status(gate) is Status.OFF_TRACK
    with get_engine().connect() as conn:
        latest = entries(conn, object_type="value_review")[0]
    assert json.loads(latest.before)["verdict"] == "wrong"


def test_a_restated_value_needs_its_own_review(gate: Gate) -> None:
    review(gate, "confirmed")
    put("events_count", [8, 9, 9, 140])  # restated: the review was of 150
    [waiting, _] = gate.flagged(ADMIN)
    assert waiting.row.value == 140 and waiting.row.verdict is None and status(gate) is Status.ON_TRACK


def test_a_session_frozen_before_the_review_still_shows_the_value_held_out(gate: Gate) -> None:
    frozen_at = utcnow()
    review(gate, "confirmed")
    subject = Subject(SubjectKind.AGENCY, "AG1")
    before = frozen_view(gate, ADMIN, subject, frozen_at, dt.date(2025, 10, 31))
    after = frozen_view(gate, ADMIN, subject, utcnow(), dt.date(2025, 10, 31))
    assert before.assessments["events_count"].judged_as in (None, Status.ON_TRACK)
    assert (after.assessments["events_count"].judged_as or after.assessments["events_count"].status) \
        is Status.OFF_TRACK


@pytest.mark.parametrize("viewer", [VIEWER, PUBLIC_WORKS, ANONYMOUS])
def test_only_the_performance_team_reviews(gate: Gate, viewer: Viewer) -> None:
    with pytest.raises(Forbidden):
        review(gate, "confirmed", viewer=viewer)
    assert gate.flagged(ADMIN)[0].row.verdict is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("verdict", "", "Verdict: choose 'Correct as reported' or 'Wrong'"),
    ("period", "month:2024-01-01", "Period: this measure has no current month value starting 2024-01-01"),
    ("period", "week:2025-10-01", "Period: 'week:2025-10-01' is not a period of this measure"),
    ("reason", "   ", "Reason (what was checked, and with whom): this field is required"),
])
def test_a_review_with_bad_input_is_refused_and_names_the_field(gate: Gate, field: str, value: str,
                                                                 message: str) -> None:
    form = {"verdict": "confirmed", "period": OCTOBER, "reason": "Checked"} | {field: value}
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reviews.review_value(gate, ADMIN, "events_count", place="city:", **form)


def test_agency_users_see_only_their_agencies_flagged_values_and_residents_none(gate: Gate) -> None:
    assert [f.metric.id for f in gate.flagged(PUBLIC_WORKS)] == ["events_count"]
    assert [f.metric.id for f in gate.flagged(POLICE)] == ["patrol_spend"]
    with pytest.raises(Forbidden):
        gate.flagged(ANONYMOUS)


def test_a_nul_character_in_the_reason_is_dropped_not_a_server_error(gate: Gate) -> None:
    review(gate, "wrong", reason="Typed\x00 with a NUL")
    with get_engine().connect() as conn:
        assert json.loads(entries(conn, object_type="value_review")[0].after)["reason"] == "Typed with a NUL"
