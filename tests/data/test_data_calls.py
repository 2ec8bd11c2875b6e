"""The data call on the City's reported measures: open, enter, submit, return, accept, publish; the publish gate;
target proposals; every step audited and scoped to the viewer's agencies."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from data import data_calls, entry_changes, publication, targets
from data.access import Gate
from data.audit import AUDIT
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError
from data.models import Role
from data.policy import ANONYMOUS, Viewer
from data.sources import load_source
from metrics.registry import Registry
from metrics.reporting import EntryState
from pipeline import reporting
from pipeline.refresh import refresh_all
from tests.helpers import load_reported

ADMIN = Viewer(Role.ADMIN, "ana")
APPEALS = Viewer(Role.AGENCY, "bmza", frozenset({"AGC7900"}))  # Municipal and Zoning Appeals: pm_581–pm_584
POLICE = Viewer(Role.AGENCY, "cop", frozenset({"AGC5900"}))
LAW = Viewer(Role.AGENCY, "law", frozenset({"AGC3500"}))  # pm_225: its FY2026 target has no note
CITY_VIEWER = Viewer(Role.VIEWER, "vic")


@pytest.fixture
def reports(database: str, baltimore_registry: Registry) -> Iterator[Gate]:
    """The City's reported figures loaded; the appeals board's measures and one of Law's refreshed."""
    load_reported(baltimore_registry)
    refresh_all(baltimore_registry, ["pm_225", "pm_581", "pm_582", "pm_583", "pm_584"])
    yield Gate(baltimore_registry)


def _audit(object_type: str) -> list[tuple[str, dict[str, object] | None, dict[str, object] | None]]:
    with get_engine().connect() as conn:
        rows = conn.execute(select(AUDIT).where(AUDIT.c.object_type == object_type).order_by(AUDIT.c.id)).all()
    return [(r.action, json.loads(r.before) if r.before else None, json.loads(r.after) if r.after else None)
            for r in rows]


def test_a_call_assigns_every_due_measure_to_its_agency(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    everything = data_calls.entries(reports, ADMIN, call_id)
    quarterly = [m for m in reports.registry.metrics.values()
                 if m.computation.kind.value == "reported" and m.frequency.value == "quarterly"]
    assert len(everything) == len(quarterly) == 519
    assert {e.state for e in everything} == {EntryState.NOT_STARTED}
    own = data_calls.entries(reports, APPEALS, call_id)
    assert [e.metric.id for e in own] == ["pm_581", "pm_582", "pm_583", "pm_584"]
    [appeals] = data_calls.progress(reports, APPEALS, call_id, dt.date(2026, 8, 1))
    assert (appeals.agency, appeals.total, appeals.overdue) == ("AGC7900", 4, 4)
    with pytest.raises(InputError, match="already open"):
        data_calls.open_call(reports, ADMIN, period="fy2026q4", due_on="2026-07-31")
    with pytest.raises(InputError, match="FY2027 Q1 ends on 2026-09-30"):
        data_calls.open_call(reports, ADMIN, period="FY2027 Q1", due_on="2026-06-30")
    with pytest.raises(Forbidden):
        data_calls.open_call(reports, APPEALS, period="FY2027 Q1", due_on="2026-10-31")
    assert _audit("data_call") == [("open", None, {"due_on": "2026-07-31", "measures": 519,
                                                   "period": "FY2026 Q4"})]


def test_a_year_call_asks_every_reported_measure_for_its_annual_actual(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026", due_on="2026-09-30")
    assert len(data_calls.entries(reports, ADMIN, call_id)) == 701


def test_agencies_see_and_enter_only_their_own_measures(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    with pytest.raises(NotFound):
        data_calls.entry(reports, POLICE, call_id, "pm_581")
    with pytest.raises(NotFound):
        entry_changes.save_draft(reports, POLICE, call_id, "pm_581", value="75%")
    with pytest.raises(Forbidden):
        entry_changes.save_draft(reports, CITY_VIEWER, call_id, "pm_581", value="75%")
    with pytest.raises(Forbidden):
        entry_changes.submit(reports, POLICE, call_id, "AGC7900")
    with pytest.raises(Forbidden):
        data_calls.entries(reports, ANONYMOUS, call_id)
    assert all(e.agency == "AGC5900" for e in data_calls.entries(reports, POLICE, call_id))
    assert len(data_calls.entries(reports, CITY_VIEWER, call_id)) == 519


def test_drafts_are_read_without_ambiguity_and_a_batch_needs_its_notes(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    checked = entry_changes.save_draft(reports, APPEALS, call_id, "pm_581", value="75%", note="One of four reversed.")
    assert (checked.value.value, checked.value.shown) == (0.75, "75%")
    assert checked.note_reasons == ("it moves 25 points from 100% in FY2026 Q1",)
    for typed in ("0.75", "75"):
        assert entry_changes.save_draft(reports, APPEALS, call_id, "pm_581", value=typed,
                                     note="One of four reversed.").value.value == 0.75
    with pytest.raises(InputError, match="'TBD' is not a figure"):
        entry_changes.save_draft(reports, APPEALS, call_id, "pm_582", value="TBD")
    missed = entry_changes.save_draft(reports, APPEALS, call_id, "pm_582", value="120")  # target: 75 days or fewer
    assert any("misses the FY2026 Q4 target of 75" in r for r in missed.note_reasons)
    with pytest.raises(InputError, match="Average # of days from filing a zoning appeal .* needs a note"):
        entry_changes.submit(reports, APPEALS, call_id, "AGC7900")
    assert {e.state for e in data_calls.entries(reports, APPEALS, call_id)} == {EntryState.DRAFT,
                                                                               EntryState.NOT_STARTED}
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_582", value="120",
                             note="Two hearing officers left.\nHiring.")
    assert entry_changes.submit(reports, APPEALS, call_id, "AGC7900") == 2
    states = {e.metric.id: e.state for e in data_calls.entries(reports, APPEALS, call_id)}
    assert states == {"pm_581": EntryState.SUBMITTED, "pm_582": EntryState.SUBMITTED,
                      "pm_583": EntryState.NOT_STARTED, "pm_584": EntryState.NOT_STARTED}
    assert data_calls.entry(reports, APPEALS, call_id, "pm_582").note == "Two hearing officers left.\nHiring."


def test_return_fix_accept_publish_and_the_history_keeps_what_the_site_said(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_583", value="29", note="Above target: a vacancy.",
                          prior_note="FY2025 averaged 36 days: a vacancy in the counsel's office.")
    entry_changes.submit(reports, APPEALS, call_id, "AGC7900")
    with pytest.raises(Forbidden):
        reporting.accept(reports, APPEALS, call_id, "pm_583")
    with pytest.raises(InputError, match="Reason for returning: this field is required"):
        entry_changes.return_entry(reports, ADMIN, call_id, "pm_583", " ")
    entry_changes.return_entry(reports, ADMIN, call_id, "pm_583", "Q4 looks like Q3's figure: please check.")
    returned = data_calls.entry(reports, APPEALS, call_id, "pm_583")
    assert (returned.state, returned.return_reason) == (EntryState.RETURNED, "Q4 looks like Q3's figure: please check.")
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_583", value="27", note="Corrected from the case log.",
                          prior_note="FY2025 averaged 36 days: a vacancy in the counsel's office.")
    entry_changes.submit(reports, APPEALS, call_id, "AGC7900")
    before = dt.datetime.now(dt.UTC)
    outcome = reporting.accept(reports, ADMIN, call_id, "pm_583")
    assert outcome.published and outcome.blockers == ()
    current = {v.period_start: v.value for v in reports.values(ADMIN, "pm_583", grain="fiscal_quarter",
                                                               geography="city")}
    assert current[dt.date(2026, 4, 1)] == 27
    then = {v.period_start: v.value for v in reports.history(ADMIN, ["pm_583"], before)["pm_583"]
            if v.grain == "fiscal_quarter" and v.geography == "city"}
    assert dt.date(2026, 4, 1) not in then  # as of before the acceptance, the site had no FY2026 Q4 figure
    fy2025 = reports.values(ADMIN, "pm_583", grain="fiscal_year", geography="city")
    assert next(v.note for v in fy2025 if v.period_start == dt.date(2024, 7, 1)).startswith("FY2025 averaged 36")
    actions = [a for a, _, _ in _audit("reported_entry")]
    assert actions == ["save draft", "submit", "return", "save draft", "submit", "accept", "publish"]


def test_the_publish_gate_holds_a_year_without_its_prior_actual_note_or_target_note(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_583", value="27", note="Above target: a vacancy.")
    entry_changes.submit(reports, APPEALS, call_id, "AGC7900")
    outcome = reporting.accept(reports, ADMIN, call_id, "pm_583")
    assert not outcome.published and outcome.blockers == ("the FY2025 actual has no note",)
    assert data_calls.entry(reports, ADMIN, call_id, "pm_583").held
    assert dt.date(2026, 4, 1) not in {v.period_start for v in reports.values(ANONYMOUS, "pm_583")}


def test_a_restated_figure_needs_a_reason_and_keeps_both_figures(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q1", due_on="2025-10-31")  # the City published 29
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_583", value="31", note="Two late resolutions found.",
                          prior_note="Vacancy in the counsel's office.")
    entry_changes.submit(reports, APPEALS, call_id, "AGC7900")
    with pytest.raises(InputError, match=r"Reason for restating \(FY2026 Q1 shows 29 days now"):
        reporting.accept(reports, ADMIN, call_id, "pm_583")
    assert reporting.accept(reports, ADMIN, call_id, "pm_583", "Two resolutions were missing from the log.").published
    [note] = publication.restatements(reports, ANONYMOUS, "pm_583")
    assert (note.old_value, note.new_value, note.reason) == (29, 31, "Two resolutions were missing from the log.")


def test_an_approved_target_replaces_the_registrys_and_releases_the_figures_it_held(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    entry_changes.save_draft(reports, LAW, call_id, "pm_225", value="30%", note="Two appeals won in Q4.")
    entry_changes.submit(reports, LAW, call_id, "AGC3500")
    held = reporting.accept(reports, ADMIN, call_id, "pm_225")
    assert not held.published and held.blockers == ("the FY2026 target has no note",)
    proposal = targets.propose(reports, LAW, "pm_225", fiscal_year=2026, value="25", note="A quarter of contested "
                               "issues is the national median for city law departments.")
    with pytest.raises(Forbidden):
        reporting.decide_target(reports, LAW, proposal, approve=True, note="")
    with pytest.raises(InputError, match="Reason for declining"):
        reporting.decide_target(reports, ADMIN, proposal, approve=False, note="")
    released = reporting.decide_target(reports, ADMIN, proposal, approve=True, note="Agreed.")
    assert [o.entry.metric.id for o in released] == ["pm_225"]
    target = reports.registry.metrics["pm_225"].annual_target(2026)
    assert target is not None and (target.value, target.note[:20]) == (0.25, "A quarter of contest")  # type: ignore[index]
    assert reports.base_registry.metrics["pm_225"].annual_target(2026).note is None  # type: ignore[union-attr]
    assert dt.date(2026, 4, 1) in {v.period_start for v in reports.values(ANONYMOUS, "pm_225")}
    assert [a for a, _, _ in _audit("target_proposal")] == ["propose", "approve"]


def test_two_requests_publishing_the_same_figure_write_it_once(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_584", value="8", prior_note="Fewer cases.")
    entry_changes.submit(reports, APPEALS, call_id, "AGC7900")
    accepted = entry_changes.accept(reports, ADMIN, call_id, "pm_584", None)  # read by two requests at once
    assert publication.publish(reports, ADMIN, accepted).published
    assert not publication.publish(reports, ADMIN, accepted).published
    assert [a for a, _, _ in _audit("reported_entry")].count("publish") == 1


def test_loading_the_export_again_keeps_what_agencies_reported(reports: Gate) -> None:
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q1", due_on="2025-10-31")  # the City published 29
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_583", value="31", note="Two late resolutions found.",
                             prior_note="Vacancy in the counsel's office.")
    entry_changes.submit(reports, APPEALS, call_id, "AGC7900")
    reporting.accept(reports, ADMIN, call_id, "pm_583", "Two resolutions were missing from the log.")
    source = reports.registry.sources["city_performance_measures"]
    report = load_source(source, fy_start_month=7, timezone="America/New_York", progress=lambda _: None)
    assert (report.rows_loaded, report.kept) == (0, report.rows_read)
    refresh_all(reports.registry, ["pm_583"])
    q1 = next(v for v in reports.values(ADMIN, "pm_583", grain="fiscal_quarter", geography="city")
              if v.period_start == dt.date(2025, 7, 1))
    assert q1.value == 31


def test_a_call_is_for_a_period_that_has_begun_and_one_opened_by_mistake_is_cancelled(reports: Gate) -> None:
    with pytest.raises(InputError, match="FY2028 Q1 has not started yet"):
        data_calls.open_call(reports, ADMIN, period="FY2028 Q1", due_on="2027-10-31")
    call_id = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    entry_changes.save_draft(reports, APPEALS, call_id, "pm_584", value="8")
    with pytest.raises(Forbidden):
        data_calls.cancel_call(reports, APPEALS, call_id, "Mistake.")
    data_calls.cancel_call(reports, ADMIN, call_id, "Opened for the wrong quarter.")
    assert data_calls.call(reports, ADMIN, call_id).cancelled == "Opened for the wrong quarter."
    with pytest.raises(InputError, match="was cancelled"):
        entry_changes.save_draft(reports, APPEALS, call_id, "pm_584", value="9")
    again = data_calls.open_call(reports, ADMIN, period="FY2026 Q4", due_on="2026-07-31")  # the period is free
    assert again != call_id
