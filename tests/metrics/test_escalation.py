"""The escalation rule on a hand-built fixture: it picks exactly the measures it should, and says why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from metrics.escalation import Reason, missed_streak, project, suggest
from metrics.followups import FollowUpColour, colour
from metrics.spec import City, MetricSpec
from metrics.status import assess
from metrics.values import ValueRow

CITY = City(name="Testville", fiscal_year_start_month=7, reporting_lag_days={"quarterly": 90, "monthly": 30})
TODAY = dt.date(2026, 2, 15)
Q = [dt.date(2025, 7, 1), dt.date(2025, 10, 1)]  # FY2026 Q1, Q2
PRIOR_Q4 = dt.date(2025, 4, 1)  # FY2025 Q4


def metric(metric_id: str, **overrides: Any) -> MetricSpec:
    base: dict[str, Any] = {
        "id": metric_id, "title": metric_id.replace("_", " "), "definition": "A hand-built test measure.",
        "measure_type": "outcome", "agency": "A", "format": "percent", "direction": "increase",
        "frequency": "quarterly", "period_total": "average",
        "targets": [{"fiscal_year": 2025, "value": 0.8}, {"fiscal_year": 2026, "value": 0.8}],
        "computation": {"kind": "reported", "source": "s", "key": metric_id},
    }
    return MetricSpec.model_validate(base | overrides)


def quarters(*values: float, starts: list[dt.date] | None = None) -> list[ValueRow]:
    return [ValueRow("fiscal_quarter", start, "city", "", v) for start, v in zip(starts or Q, values, strict=True)]


FIXTURE = {
    # missed both FY2026 quarters and the last of FY2025, each narrowly: three in a row, no wide miss
    "missed_twice": (metric("missed_twice"), quarters(0.78, 0.79, 0.785, starts=[PRIOR_Q4, *Q])),
    # missed only the latest quarter
    "missed_once": (metric("missed_once"), quarters(0.85, 0.78)),
    # counts that met Q1's share (250) then fell: one miss, but a pace of 890 against 1,000 (range < 1,000)
    "projected_miss": (metric("projected_miss", format="count", period_total="sum",
                              targets=[{"fiscal_year": 2026, "value": 1000}]), quarters(255.0, 190.0)),
    # a flow slightly behind pace (missed one quarter): within the near band, not a wide miss
    "slightly_behind": (metric("slightly_behind", format="count", period_total="sum",
                               targets=[{"fiscal_year": 2026, "value": 1000}]), quarters(260.0, 235.0)),
    # on track
    "on_track": (metric("on_track"), quarters(0.9, 0.92)),
    # lower is better, above target twice, within the near band
    "decrease_missed": (metric("decrease_missed", direction="decrease",
                               targets=[{"fiscal_year": 2026, "value": 0.1}]), quarters(0.12, 0.13)),
    # no direction: never escalated on numbers
    "informational": (metric("informational", direction="none", targets=[]), quarters(0.1, 0.1)),
    # on track but its newer data is overdue (data through 2025-03-31; Q4 was due by 2025-09-28)
    "stale": (metric("stale"), quarters(0.9, 0.9, starts=[dt.date(2024, 10, 1), dt.date(2025, 1, 1)])),
}


def run_rule() -> dict[str, Any]:
    metrics = [m for m, _ in FIXTURE.values()]
    values = {m.id: rows for m, rows in FIXTURE.values()}
    assessments = {m.id: assess(m, values[m.id], city=CITY, today=TODAY) for m in metrics}
    return {s.metric.id: s for s in suggest(metrics, values, assessments, 7)}


def test_rule_picks_exactly_the_measures_it_should() -> None:
    picked = run_rule()
    assert {k: v.reasons for k, v in picked.items()} == {
        "missed_twice": (Reason.MISSED_TWICE,),
        "projected_miss": (Reason.PROJECTED_MISS,),
        "decrease_missed": (Reason.MISSED_TWICE,),
        "stale": (Reason.STALE,),
    }


def test_explanations_name_periods_values_and_targets() -> None:
    picked = run_rule()
    assert picked["missed_twice"].explanation == (
        "Missed its target 3 periods in a row (FY2025 Q4 78% vs 80%, FY2026 Q1 79% vs 80%, FY2026 Q2 78.5% vs "
        "80%).")
    assert picked["projected_miss"].explanation.startswith("Projected to end FY2026 at 890 (90% range ")
    assert picked["projected_miss"].explanation.endswith("against a target of 1,000.")
    assert picked["stale"].explanation.startswith("Stale: data through 2025-03-31")


def test_projection_of_a_flow_is_its_pace_with_a_range() -> None:
    m, rows = FIXTURE["projected_miss"]
    projection = project(m, rows, 7)
    assert projection is not None
    assert projection.value == pytest.approx(890)  # 445 in half a year
    assert projection.low < 890 < projection.high < 1000
    assert projection.misses_widely
    behind = project(*FIXTURE["slightly_behind"], 7)
    assert behind is not None and not behind.misses_widely


def test_projection_needs_two_periods_and_an_open_year() -> None:
    m, _ = FIXTURE["on_track"]
    assert project(m, quarters(0.5, starts=[Q[0]]), 7) is None
    full_year = [ValueRow("fiscal_year", dt.date(2024, 7, 1), "city", "", 0.5)]
    assert project(m, full_year, 7) is None


def test_missed_streak_stops_at_the_first_met_target() -> None:
    m, _ = FIXTURE["missed_once"]
    assert missed_streak(m, quarters(0.7, 0.9, starts=Q), 7)[0] == 0
    assert missed_streak(m, quarters(0.9, 0.7, starts=Q), 7)[0] == 1


@pytest.mark.parametrize(("today", "started", "closed", "evidence", "expected"), [
    (dt.date(2026, 3, 1), False, False, None, FollowUpColour.WHITE),
    (dt.date(2026, 3, 1), True, False, None, FollowUpColour.YELLOW),
    (dt.date(2026, 3, 1), True, True, "", FollowUpColour.YELLOW),  # closed without evidence is not done
    (dt.date(2026, 3, 1), True, True, "https://example.org/memo", FollowUpColour.GREEN),
    (dt.date(2026, 3, 16), True, False, None, FollowUpColour.RED),  # past due: red, automatically
    (dt.date(2026, 3, 16), True, True, "report attached", FollowUpColour.GREEN),
])
def test_follow_up_colours(today: dt.date, started: bool, closed: bool, evidence: str | None,
                           expected: FollowUpColour) -> None:
    assert colour(due=dt.date(2026, 3, 15), today=today, started=started, closed=closed,
                  evidence=evidence) is expected
