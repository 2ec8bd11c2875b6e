"""The data call's rules: periods, which measures are due, how an entry is checked and what blocks publishing."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.registry import Registry
from metrics.reporting import (
    PriorActual,
    ReportingPeriod,
    check_entry,
    due_in,
    publish_blockers,
    with_targets,
)
from metrics.spec import Target
from metrics.values import QualityRule, ValueRow


def test_periods_parse_and_name_themselves() -> None:
    assert ReportingPeriod.parse("FY2026 Q4") == ReportingPeriod.parse(" fy2026q4 ") == ReportingPeriod(2026, 4)
    assert ReportingPeriod.parse("2026-Q1") == ReportingPeriod(2026, 1)
    assert ReportingPeriod.parse("FY2026") == ReportingPeriod(2026)
    for bad in ("", "Q4", "FY26 Q4", "FY2026 Q5", "FY2026 Q4; DROP"):
        with pytest.raises(ValueError, match="not a fiscal period"):
            ReportingPeriod.parse(bad)
    q4 = ReportingPeriod(2026, 4)
    assert (q4.label, q4.code, q4.start(7), q4.end(7)) == ("FY2026 Q4", "Q4", dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert ReportingPeriod(2026).end(10) == dt.date(2026, 9, 30)
    assert ReportingPeriod.of(q4.grain, q4.start(7), 7) == q4


def test_quarter_calls_ask_quarterly_measures_and_year_calls_every_reported_one(baltimore_registry: Registry) -> None:
    quarterly, annual = baltimore_registry.metrics["pm_581"], baltimore_registry.metrics["pm_220"]
    computed = next(m for m in baltimore_registry.metrics.values() if m.computation.kind.value == "computed")
    assert due_in(quarterly, ReportingPeriod(2026, 4)) and not due_in(annual, ReportingPeriod(2026, 4))
    assert due_in(annual, ReportingPeriod(2026)) and due_in(quarterly, ReportingPeriod(2026))
    assert not due_in(computed, ReportingPeriod(2026))


def test_an_entry_is_read_checked_and_told_when_it_needs_a_note(baltimore_registry: Registry) -> None:
    upheld = baltimore_registry.metrics["pm_581"]  # percent, increase, FY2026 target 75%
    q4 = ReportingPeriod(2026, 4)
    history = [ValueRow("fiscal_quarter", dt.date(2025, 4, 1), "city", "", 0.8),
               ValueRow("fiscal_quarter", dt.date(2025, 7, 1), "city", "", 0.9)]
    on_target = check_entry(upheld, q4, 7, value="80%", history=history)
    assert on_target.usable and on_target.note_reasons == () and on_target.flags == ()
    low = check_entry(upheld, q4, 7, value="", numerator="3", denominator="5", history=history)
    assert (low.value.value, low.derived) == (0.6, "60% = 3 / 5")
    assert low.note_reasons == ("it misses the FY2026 Q4 target of 75%", "it moves 20 points from 80% in FY2025 Q4")
    mismatch = check_entry(upheld, q4, 7, value="50%", numerator="3", denominator="5")
    assert mismatch.errors == ("Value: 50% does not match the numerator and denominator (60% = 3 / 5)",)
    assert check_entry(upheld, q4, 7, value="", numerator="3").errors[0].startswith("Denominator: give both")
    assert check_entry(upheld, q4, 7, value="75", denominator="0", numerator="0").errors == (
        "Denominator: cannot be 0",)
    off_scale = check_entry(upheld, q4, 7, value="7500%", history=history)
    assert [f.rule for f in off_scale.flags] == [QualityRule.SCALE]
    assert off_scale.note_reasons[0].startswith("wrong scale: outside 0%–100% for a percent")


def test_the_publish_gate_names_each_missing_piece(baltimore_registry: Registry) -> None:
    metric = baltimore_registry.metrics["pm_583"]  # decrease, FY2026 target 25 days with a note
    noted = Target(fiscal_year=2026, value=25, note="Why 25.")
    assert publish_blockers(metric, 2026, PriorActual(36, "A vacancy."), noted, new=False) == ()
    assert publish_blockers(metric, 2026, PriorActual(36, " "), Target(fiscal_year=2026, value=25), new=False) == (
        "the FY2025 actual has no note", "the FY2026 target has no note")
    assert publish_blockers(metric, 2026, None, None, new=False) == ("the FY2025 actual is missing",
                                                                      "the FY2026 target is missing")
    assert publish_blockers(metric, 2026, None, noted, new=True) == ()  # a new measure has no prior year
    informational = baltimore_registry.metrics["pm_584"]
    assert publish_blockers(informational, 2026, PriorActual(44, "Fewer cases."), None, new=False) == ()


def test_approved_targets_replace_the_registrys_for_their_year(baltimore_registry: Registry) -> None:
    metric = baltimore_registry.metrics["pm_581"]
    moved = with_targets(metric, (Target(fiscal_year=2027, value=0.8, note="Raised."),))
    assert [(t.fiscal_year, t.value) for t in moved.targets] == [(2024, 0.75), (2025, 0.75), (2026, 0.75), (2027, 0.8)]
    assert with_targets(metric, ()) is metric

