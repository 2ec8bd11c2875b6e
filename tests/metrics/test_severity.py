"""The agenda's order: how far off target, for how long, which way it moves, and how much residents feel it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from metrics.escalation import suggest
from metrics.severity import STALE_ONLY, Trend, rank
from metrics.spec import City, MetricSpec
from metrics.status import assess
from metrics.values import ValueRow

CITY = City(name="Testville", fiscal_year_start_month=7, reporting_lag_days={"quarterly": 90})
TODAY = dt.date(2026, 2, 15)
QUARTERS = [dt.date(2025, 1, 1), dt.date(2025, 4, 1), dt.date(2025, 7, 1), dt.date(2025, 10, 1)]


def metric(metric_id: str, **overrides: Any) -> MetricSpec:
    return MetricSpec.model_validate({
        "id": metric_id, "title": metric_id, "definition": "A hand-built test measure.", "measure_type": "outcome",
        "agency": "A", "format": "percent", "direction": "increase", "frequency": "quarterly",
        "period_total": "average", "targets": [{"fiscal_year": y, "value": 0.8} for y in (2025, 2026)],
        "computation": {"kind": "reported", "source": "s", "key": metric_id}} | overrides)


def quarters(*values: float, starts: list[dt.date] | None = None) -> list[ValueRow]:
    chosen = starts or QUARTERS[-len(values):]
    return [ValueRow("fiscal_quarter", s, "city", "", v) for s, v in zip(chosen, values, strict=True)]


def ranked(cases: dict[str, tuple[MetricSpec, list[ValueRow]]], since: dt.date | None = None) -> list[Any]:
    values = {k: rows for k, (_, rows) in cases.items()}
    assessments = {k: assess(m, rows, city=CITY, today=TODAY) for k, (m, rows) in cases.items()}
    found = suggest([m for m, _ in cases.values()], values, assessments, 7, since)
    return rank(found, values, 7, since)


def test_further_off_target_for_longer_and_getting_worse_comes_first() -> None:
    order = ranked({
        "slightly_short": (metric("slightly_short"), quarters(0.79, 0.78, 0.77)),  # 3 points, 3 in a row, worse
        "far_short_improving": (metric("far_short_improving"), quarters(0.5, 0.6)),  # 20 points (25 projected)
        "far_short_worsening": (metric("far_short_worsening"), quarters(0.7, 0.6)),  # 20 points short, worse
    })
    assert [r.suggestion.metric.id for r in order] == ["far_short_worsening", "far_short_improving", "slightly_short"]
    worst = order[0].severity
    assert (worst.gap, worst.streak, worst.trend) == (pytest.approx(0.2), 2, Trend.WORSENING)  # points
    assert worst.score == pytest.approx(0.2 * 1.25 * 1.25)
    assert worst.words == "FY2026 Q2: 20 points off its target, 2 cycles missed in a row, getting worse"
    assert order[1].severity.words.startswith("year-end projection: 25 points off its target")


def test_counts_are_measured_against_their_target_and_a_zero_target_missed_is_a_whole_miss() -> None:
    counts = {"format": "count", "period_total": "sum", "direction": "decrease"}
    order = ranked({
        "fatal_fires": (metric("fatal_fires", targets=[{"fiscal_year": 2026, "value": 0}], **counts),
                        quarters(1, 2)),
        "collisions": (metric("collisions", targets=[{"fiscal_year": 2026, "value": 400}], **counts),
                       quarters(130, 150)),  # quarters of a 400 target: 100 each; 50% over
    })
    assert [(r.suggestion.metric.id, r.severity.gap) for r in order] == [("fatal_fires", 1.0),
                                                                        ("collisions", pytest.approx(0.5))]


def test_resident_impact_weighs_and_stale_data_alone_ranks_last() -> None:
    order = ranked({
        "felt": (metric("felt", impact=3), quarters(0.7, 0.7)),
        "unfelt": (metric("unfelt"), quarters(0.6, 0.6)),
        "stale": (metric("stale"), quarters(0.9, 0.9, starts=QUARTERS[:2])),
    })
    assert [r.suggestion.metric.id for r in order] == ["felt", "unfelt", "stale"]
    assert order[-1].severity.score == STALE_ONLY and "resident impact ×3" in order[0].severity.words


def test_no_reason_rests_on_data_older_than_the_window() -> None:
    old = {"old": (metric("old"), quarters(0.5, 0.5, starts=QUARTERS[:2]))}
    assert ranked(old) and ranked(old, since=dt.date(2025, 7, 1)) == []
