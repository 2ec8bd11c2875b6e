"""Status rules and their sentences, on hand-built values (pure functions, no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from metrics.spec import City, MetricSpec
from metrics.status import SCORE_CAP, Status, assess
from metrics.values import Flag, QualityRule, ValueRow

CITY = City(name="Testville", fiscal_year_start_month=7, reporting_lag_days={"monthly": 30, "quarterly": 60})
TODAY = dt.date(2025, 11, 15)


def metric(**overrides: Any) -> MetricSpec:
    base: dict[str, Any] = {
        "id": "m", "title": "Requests closed on time", "definition": "Share of requests closed on time.",
        "measure_type": "effectiveness", "agency": "A", "format": "percent", "direction": "increase",
        "frequency": "monthly", "targets": [{"fiscal_year": 2026, "value": 0.95}],
        "computation": {"kind": "computed", "source": "s", "aggregation": "ratio",
                        "numerator_filters": [{"column": "x", "op": "not_null"}]},
    }
    return MetricSpec.model_validate(base | overrides)


def fy_value(value: float, through_month: int = 9, numerator: float | None = None,
             denominator: float | None = None) -> list[ValueRow]:
    months = [ValueRow("month", dt.date(2025, m, 1), "city", "", value) for m in range(7, through_month + 1)]
    return [*months, ValueRow("fiscal_year", dt.date(2025, 7, 1), "city", "", value, numerator, denominator)]


def test_off_track_sentence_names_value_counts_target_and_data_date() -> None:
    result = assess(metric(), fy_value(0.71, numerator=710, denominator=1000), city=CITY, today=TODAY)
    assert result.status is Status.OFF_TRACK
    assert result.sentence == ("Off track: 71% (710 of 1,000) in FY2026 through Sep 2025, target 95%, higher is "
                               "better; near target means within 5 percentage points; data through 2025-09-30.")


@pytest.mark.parametrize(("value", "status"), [(0.95, Status.ON_TRACK), (0.97, Status.ON_TRACK),
                                                (0.91, Status.NEAR_TARGET), (0.89, Status.OFF_TRACK)])
def test_percent_band_is_five_points(value: float, status: Status) -> None:
    assert assess(metric(), fy_value(value, numerator=value * 100, denominator=100), city=CITY,
                  today=TODAY).status is status


@pytest.mark.parametrize(("value", "status"), [(100, Status.ON_TRACK), (108, Status.NEAR_TARGET),
                                                (111, Status.OFF_TRACK)])
def test_lower_is_better_rate_uses_ten_percent_band(value: float, status: Status) -> None:
    m = metric(format="days", direction="decrease", targets=[{"fiscal_year": 2026, "value": 100}],
               computation={"kind": "computed", "source": "s", "aggregation": "mean", "value_column": "d"})
    assert assess(m, fy_value(value), city=CITY, today=TODAY).status is status


def test_cumulative_count_judged_on_trajectory() -> None:
    m = metric(format="count", direction="increase", targets=[{"fiscal_year": 2026, "value": 1200}],
               computation={"kind": "computed", "source": "s", "aggregation": "count"})
    # Three months of twelve: 300 expected by now; 290 is within 10%.
    result = assess(m, fy_value(290), city=CITY, today=TODAY)
    assert result.status is Status.NEAR_TARGET
    assert result.expected == pytest.approx(300)
    assert "300 expected by now (25% of the year) for the FY2026 target of 1,200" in result.sentence


def test_maintain_band() -> None:
    m = metric(direction="maintain", band={"lower": 0.4, "upper": 0.6}, targets=[])
    assert assess(m, fy_value(0.5), city=CITY, today=TODAY).status is Status.ON_TRACK
    assert assess(m, fy_value(0.63), city=CITY, today=TODAY).status is Status.NEAR_TARGET
    assert assess(m, fy_value(0.8), city=CITY, today=TODAY).status is Status.OFF_TRACK


def test_no_data_informational_and_small_numbers() -> None:
    assert assess(metric(), [], city=CITY, today=TODAY).status is Status.NO_DATA
    none = assess(metric(direction="none", targets=[]), fy_value(0.5), city=CITY, today=TODAY)
    assert none.status is Status.INFORMATIONAL and none.score is None
    few = assess(metric(), fy_value(0.5, numerator=5, denominator=10), city=CITY, today=TODAY)
    assert few.status is Status.INFORMATIONAL and "too few cases" in few.sentence


def test_stale_when_data_overdue_keeps_last_reading() -> None:
    late = assess(metric(), fy_value(0.99, numerator=99, denominator=100), city=CITY, today=dt.date(2025, 12, 1))
    assert late.status is Status.STALE and late.judged_as is Status.ON_TRACK
    assert "newer monthly data was due by 2025-11-30" in late.sentence


def test_stale_when_last_refresh_failed() -> None:
    failed = dt.datetime(2025, 10, 2, 5, 0, tzinfo=dt.UTC)
    result = assess(metric(), fy_value(0.99, numerator=99, denominator=100), city=CITY, today=TODAY,
                    last_refresh_failed=failed)
    assert result.status is Status.STALE
    assert "last refresh failed on 2025-10-02" in result.sentence


def test_reported_quarters_sum_for_flows_and_average_for_rates() -> None:
    quarters = [ValueRow("fiscal_quarter", dt.date(2025, 7, 1), "city", "", 100.0),
                ValueRow("fiscal_quarter", dt.date(2025, 10, 1), "city", "", 200.0)]
    reported = {"kind": "reported", "source": "s", "key": "1"}
    flow = metric(format="count", period_total="sum", computation=reported,
                  targets=[{"fiscal_year": 2026, "value": 600}])
    rate = metric(format="count", period_total="average", computation=reported,
                  targets=[{"fiscal_year": 2026, "value": 140}])
    assert assess(flow, quarters, city=CITY, today=TODAY).value == 300
    assert assess(rate, quarters, city=CITY, today=TODAY).value == 150
    assert "FY2026 Q1–Q2" in assess(rate, quarters, city=CITY, today=TODAY).sentence


def test_score_inverted_when_lower_is_better_and_capped() -> None:
    down = metric(format="days", direction="decrease", targets=[{"fiscal_year": 2026, "value": 10}],
                  computation={"kind": "computed", "source": "s", "aggregation": "mean", "value_column": "d"})
    assert assess(down, fy_value(20), city=CITY, today=TODAY).score == pytest.approx(0.5)
    assert assess(down, fy_value(1), city=CITY, today=TODAY).score == SCORE_CAP
    assert assess(metric(), fy_value(0.475, numerator=475, denominator=1000), city=CITY,
                  today=TODAY).score == pytest.approx(0.5)


def test_a_metric_with_calendar_grains_only_is_judged_not_crashed() -> None:
    m = metric(format="count", grains=["year"], targets=[{"fiscal_year": 2026, "value": 100}],
               computation={"kind": "computed", "source": "s", "aggregation": "latest", "value_column": "v"})
    result = assess(m, [ValueRow("year", dt.date(2025, 1, 1), "city", "", 120.0)], city=CITY, today=TODAY)
    assert result.value == 120.0 and result.status is Status.INFORMATIONAL  # no FY2025 target: shown, not judged


def quarters(year_start: int, values: list[float]) -> list[ValueRow]:
    starts = [dt.date(year_start, 7, 1), dt.date(year_start, 10, 1), dt.date(year_start + 1, 1, 1),
              dt.date(year_start + 1, 4, 1)]
    return [ValueRow("fiscal_quarter", start, "city", "", v) for start, v in zip(starts, values, strict=False)]


def reported_count(**overrides: Any) -> MetricSpec:
    return metric(format="count", frequency="quarterly", period_total="sum",
                  targets=[{"fiscal_year": 2026, "value": 6000}],
                  computation={"kind": "reported", "source": "s", "key": "k"}, **overrides)


def test_value_names_its_period_and_the_same_stretch_a_year_earlier() -> None:
    values = quarters(2024, [500, 500, 500, 500]) + quarters(2025, [400, 600, 590])
    result = assess(reported_count(), values, city=CITY, today=dt.date(2026, 4, 15))
    assert (result.value, result.period) == (1590, "FY2026 Q1–Q3, year to date")
    assert result.expected == 4500 and result.target == 6000  # the target pro-rated to three quarters of the year
    assert (result.year_earlier, result.year_earlier_period) == (1500, "FY2025 Q1–Q3, year to date")


def test_no_year_earlier_figure_when_that_year_covers_less() -> None:
    values = quarters(2024, [500]) + quarters(2025, [400, 600, 590])  # FY2025 has Q1 only
    result = assess(reported_count(), values, city=CITY, today=dt.date(2026, 4, 15))
    assert result.year_earlier is None and result.year_earlier_period is None


def test_a_whole_year_is_not_called_year_to_date() -> None:
    values = quarters(2024, [500, 500, 500, 500]) + quarters(2025, [400, 600, 590, 610])
    result = assess(reported_count(), values, city=CITY, today=dt.date(2026, 8, 1))
    assert result.period == "FY2026 Q1–Q4" and result.expected == result.target == 6000
    assert result.year_earlier == 2000


def test_the_year_earlier_covers_the_same_months_not_only_its_whole_quarters() -> None:
    count = metric(format="count", targets=[{"fiscal_year": 2026, "value": 1200}],
                   computation={"kind": "computed", "source": "s", "aggregation": "count"})
    before = [ValueRow("month", dt.date(2024, m, 1), "city", "", 100.0) for m in range(7, 13)]
    before += [ValueRow("fiscal_quarter", dt.date(2024, 7, 1), "city", "", 300.0),
               ValueRow("fiscal_quarter", dt.date(2024, 10, 1), "city", "", 300.0)]
    now = [ValueRow("month", dt.date(2025, m, 1), "city", "", 110.0) for m in range(7, 12)]
    now += [ValueRow("fiscal_quarter", dt.date(2025, 7, 1), "city", "", 330.0),
            ValueRow("fiscal_quarter", dt.date(2025, 10, 1), "city", "", 220.0,
                     covered_through=dt.date(2025, 11, 30)),
            ValueRow("fiscal_year", dt.date(2025, 7, 1), "city", "", 550.0, covered_through=dt.date(2025, 11, 30))]
    result = assess(count, before + now, city=CITY, today=dt.date(2025, 12, 10))
    assert (result.value, result.period) == (550, "FY2026 through Nov 2025, year to date")
    assert (result.year_earlier, result.year_earlier_period) == (500, "FY2025 through Nov 2024, year to date")


def test_a_year_whose_first_quarters_are_held_out_is_not_called_year_to_date() -> None:
    values = quarters(2025, [400, 600, 590])
    values[0] = dataclasses.replace(values[0], flags=(Flag(QualityRule.OUTLIER, "ten times the usual"),))
    values[1] = dataclasses.replace(values[1], flags=(Flag(QualityRule.OUTLIER, "ten times the usual"),))
    result = assess(reported_count(), values, city=CITY, today=dt.date(2026, 4, 15))
    assert (result.value, result.period) == (590, "FY2026 Q3")
    assert len(result.held_out) == 2
