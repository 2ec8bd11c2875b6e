"""Property: a value the quality gate holds out never changes a status, a score, a roll-up or an agenda reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.escalation import suggest
from metrics.periods import add_months
from metrics.scores import summarize
from metrics.spec import City, MetricSpec
from metrics.status import Assessment, assess
from metrics.values import Flag, QualityRule, ValueRow

CITY = City(name="Testville", fiscal_year_start_month=7, reporting_lag_days={"quarterly": 90})
QUARTERS = [add_months(dt.date(2023, 7, 1), 3 * i) for i in range(12)]  # FY2024 Q1 … FY2026 Q4
HOLDING = [QualityRule.SCALE, QualityRule.IMPOSSIBLE, QualityRule.NOT_REPORTED, QualityRule.OUTLIER,
           QualityRule.SAMPLE]
numbers = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False) | st.sampled_from([0.0, float("nan"), 1e12])


@st.composite
def measures(draw: Any) -> tuple[MetricSpec, list[ValueRow], list[ValueRow], dt.date]:
    """A quarterly measure, its usable values, values the gate holds out (in other quarters), and a day to judge on."""
    fmt = draw(st.sampled_from(["count", "percent", "days"]))
    size = 1.0 if fmt == "percent" else 1000.0
    metric = MetricSpec.model_validate({
        "id": "m", "title": "Measure", "definition": "A generated measure.", "measure_type": "outcome",
        "agency": "A", "format": fmt, "direction": draw(st.sampled_from(["increase", "decrease"])),
        "frequency": "quarterly", "period_total": draw(st.sampled_from(["sum", "average", "latest"])),
        "targets": [{"fiscal_year": year, "value": draw(st.floats(0.05, 1.0)) * size} for year in (2024, 2025, 2026)],
        "computation": {"kind": "reported", "source": "s", "key": "m"}})
    slots = draw(st.permutations(range(len(QUARTERS))))
    usable_count = draw(st.integers(1, 8))
    held_count = draw(st.integers(1, 4))
    usable = [ValueRow("fiscal_quarter", QUARTERS[i], "city", "", draw(st.floats(0, 1)) * size)
              for i in sorted(slots[:usable_count])]
    held = [ValueRow("fiscal_quarter", QUARTERS[i], "city", "", draw(numbers),
                     flags=(Flag(draw(st.sampled_from(HOLDING)), "generated"),))
            for i in sorted(slots[usable_count:usable_count + held_count])]
    return metric, usable, held, draw(st.dates(dt.date(2024, 1, 1), dt.date(2027, 6, 30)))


def judged(a: Assessment) -> tuple[Any, ...]:
    return (a.status, a.judged_as, a.value, a.target, a.expected, a.score, a.data_through, a.rule)


def agenda(metric: MetricSpec, values: list[ValueRow], a: Assessment) -> list[tuple[Any, ...]]:
    return [(s.reasons, s.streak, s.projection) for s in suggest([metric], {"m": values}, {"m": a}, 7)]


@settings(max_examples=300, deadline=None)
@given(measures(), st.data())
def test_the_number_a_held_out_value_carries_never_matters(case: Any, data: st.DataObject) -> None:
    metric, usable, held, today = case
    changed = [dataclasses.replace(v, value=data.draw(numbers)) for v in held]
    first = assess(metric, usable + held, city=CITY, today=today)
    second = assess(metric, usable + changed, city=CITY, today=today)
    assert judged(first) == judged(second)
    assert summarize([first]).score == summarize([second]).score
    assert agenda(metric, usable + held, first) == agenda(metric, usable + changed, second)


@settings(max_examples=300, deadline=None)
@given(measures())
def test_held_out_values_newer_than_the_data_change_no_judgement(case: Any) -> None:
    metric, usable, held, today = case
    last = max(v.period_start for v in usable)
    newer = [v for v in held if v.period_start > last]
    without = assess(metric, usable, city=CITY, today=today)
    with_them = assess(metric, usable + newer, city=CITY, today=today)
    assert judged(with_them) == judged(without)
    assert agenda(metric, usable + newer, with_them) == agenda(metric, usable, without)
