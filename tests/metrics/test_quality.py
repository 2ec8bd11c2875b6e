"""The quality gate's rules on hand-built series: each one flags what it must, and leaves alone what it must not."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import pytest

from metrics.quality import Coverage, check, summary, trusted
from metrics.spec import City, MetricSpec
from metrics.status import Status, assess
from metrics.values import QualityRule, ValueRow, Verdict

FY_START = 7
NONE = Coverage()
CITY = City(name="Testville", fiscal_year_start_month=FY_START, reporting_lag_days={"quarterly": 90})


def metric(**overrides: Any) -> MetricSpec:
    base: dict[str, Any] = {
        "id": "m", "title": "A measure", "definition": "A hand-built test measure.", "measure_type": "output",
        "agency": "A", "format": "count", "direction": "increase", "frequency": "quarterly", "period_total": "sum",
        "computation": {"kind": "reported", "source": "s", "key": "1"},
    }
    return MetricSpec.model_validate(base | overrides)


def computed(**overrides: Any) -> MetricSpec:
    base: dict[str, Any] = {"frequency": "monthly", "period_total": None, "grains": ["month", "fiscal_quarter",
                                                                                    "fiscal_year"],
                            "computation": {"kind": "computed", "source": "s", "aggregation": "count"}}
    return metric(**(base | overrides))


def quarters(*values: float | None, first: dt.date = dt.date(2023, 7, 1), place: str = "") -> list[ValueRow]:
    starts = [dt.date(first.year + (first.month - 1 + 3 * i) // 12, (first.month - 1 + 3 * i) % 12 + 1, 1)
              for i in range(len(values))]
    return [ValueRow("fiscal_quarter", s, "council_district" if place else "city", place, v)
            for s, v in zip(starts, values, strict=True)]


def months(*values: float, first: dt.date = dt.date(2024, 1, 1)) -> list[ValueRow]:
    out = []
    for i, v in enumerate(values):
        index = first.year * 12 + first.month - 1 + i
        out.append(ValueRow("month", dt.date(index // 12, index % 12 + 1, 1), "city", "", v))
    return out


def rules(rows: list[ValueRow]) -> list[set[QualityRule]]:
    return [{f.rule for f in r.flags} for r in sorted(rows, key=lambda r: (r.grain, r.period_start))]


def flagged(m: MetricSpec, rows: list[ValueRow], coverage: Coverage = NONE) -> list[set[QualityRule]]:
    return rules(check(m, rows, coverage, FY_START))


# --- scale -----------------------------------------------------------------------------------------------------
def test_percent_outside_zero_one_is_on_another_scale() -> None:
    out = check(metric(format="percent", period_total="average"), quarters(0.3, 0.31, 583809.5), NONE, FY_START)
    assert rules(out) == [set(), set(), {QualityRule.SCALE}]
    assert "outside 0%–100% for a percent" in out[2].flags[0].reason and out[2].questionable


def test_percent_inside_zero_one_and_a_tuned_range_are_not_flagged() -> None:
    assert flagged(metric(format="percent"), quarters(0.0, 0.5, 1.0)) == [set(), set(), set()]
    widened = metric(format="percent", quality={"scale": {"percent_range": [0, 2]}})
    assert flagged(widened, quarters(1.1, 0.9)) == [set(), set()]


def test_baseline_and_target_on_another_scale_are_left_out_with_the_reason() -> None:
    m = metric(format="percent", period_total="average", baseline={"value": 74, "fiscal_year": 2024},
               targets=[{"fiscal_year": 2025, "value": 0.8}])
    trusted_metric, findings = trusted(m, quarters(0.7, 0.75))
    assert trusted_metric.baseline is None and trusted_metric.targets == m.targets
    assert [f.what for f in findings] == ["Baseline"] and "74% was probably meant" in findings[0].reason


def test_count_target_a_hundred_times_off_the_values_is_left_out_but_a_near_one_is_kept() -> None:
    values = quarters(250.0, 260.0, 240.0, 255.0)
    off = metric(targets=[{"fiscal_year": 2025, "value": 250_000}, {"fiscal_year": 2026, "value": 1100}])
    kept, findings = trusted(off, values)
    assert [t.fiscal_year for t in kept.targets] == [2026] and [f.what for f in findings] == ["FY2025 target"]
    assert trusted(metric(targets=[{"fiscal_year": 2025, "value": 1000}]), values)[1] == ()


# --- impossible ----------------------------------------------------------------------------------------------------
def test_nan_and_infinity_become_missing_and_flagged() -> None:
    out = check(metric(format="days"), quarters(3.0, math.nan, math.inf), NONE, FY_START)
    assert [r.value for r in out] == [3.0, None, None]
    assert rules(out) == [set(), {QualityRule.IMPOSSIBLE}, {QualityRule.IMPOSSIBLE}]


def test_negative_count_is_impossible_but_negative_money_is_not() -> None:
    assert flagged(metric(), quarters(12.0, -5378.0)) == [set(), {QualityRule.IMPOSSIBLE}]
    assert flagged(metric(format="currency"), quarters(1000.0, -139889.0)) == [set(), set()]


def test_fractional_count_is_impossible_only_where_a_count_must_be_whole() -> None:
    assert flagged(computed(), months(12.0, 12.5))[1] == {QualityRule.IMPOSSIBLE}
    assert flagged(metric(), quarters(5.81, 5.52)) == [set(), set()]  # a reported "count" per 100 employees
    assert flagged(metric(quality={"impossible": {"whole_counts": True}}), quarters(46.0, 46.67))[1] == \
        {QualityRule.IMPOSSIBLE}


# --- likely not reported -------------------------------------------------------------------------------------------
def test_zero_after_a_run_of_non_zero_values_is_likely_not_reported() -> None:
    out = check(metric(), quarters(468782.0, 427010.0, 452000.0, 406442.0, 0.0, 0.0), NONE, FY_START)
    assert rules(out)[-2:] == [{QualityRule.NOT_REPORTED}, {QualityRule.NOT_REPORTED}]  # the second zero too
    assert "exactly 0 after 4 non-zero values" in out[-1].flags[0].reason


def test_zero_is_not_flagged_after_a_short_run_small_counts_or_when_switched_off() -> None:
    assert flagged(metric(), quarters(400.0, 410.0, 0.0))[-1] == set()  # only two before it
    assert flagged(metric(), quarters(4.0, 5.0, 4.0, 0.0))[-1] == set()  # small counts fall to zero on their own
    assert flagged(metric(quality={"not_reported": False}), quarters(400.0, 410.0, 405.0, 0.0))[-1] == set()
    assert flagged(metric(format="percent"), quarters(0.2, 0.18, 0.19, 0.0))[-1] == {QualityRule.NOT_REPORTED}


def test_a_computed_zero_is_a_real_none_of_n() -> None:
    ratio = computed(format="percent", computation={"kind": "computed", "source": "s", "aggregation": "ratio",
                                                    "numerator_filters": [{"column": "x", "op": "not_null"}]})
    assert flagged(ratio, months(0.5, 0.4, 0.45, 0.0))[-1] == set()


# --- outliers ------------------------------------------------------------------------------------------------------
def test_an_isolated_spike_is_an_outlier() -> None:
    values = [400.0, 420.0, 390.0, 410.0, 4100.0, 405.0, 398.0, 415.0]
    out = flagged(metric(), quarters(*values))
    assert out[4] == {QualityRule.OUTLIER} and all(not r for i, r in enumerate(out) if i != 4)


def test_a_trend_a_lasting_change_and_small_counts_are_not_outliers() -> None:
    assert flagged(metric(), quarters(100.0, 180.0, 320.0, 580.0, 1000.0, 1800.0, 3200.0, 5800.0)) == [set()] * 8
    assert flagged(metric(), quarters(100.0, 110.0, 95.0, 105.0, 900.0, 950.0, 910.0, 930.0, 905.0)) == [set()] * 9
    assert flagged(metric(), quarters(1.0, 1.0, 2.0, 1.0, 1.0, 7.0, 1.0, 1.0)) == [set()] * 8


def test_the_latest_value_is_questionable_until_the_next_one_confirms_it() -> None:
    series = [400.0, 420.0, 390.0, 410.0, 405.0, 398.0, 4000.0]
    assert flagged(metric(), quarters(*series))[-1] == {QualityRule.OUTLIER}
    assert flagged(metric(), quarters(*series, 4100.0))[-2:] == [set(), set()]


# --- partial periods and samples -----------------------------------------------------------------------------------
def test_periods_the_source_covers_in_part_are_partial_with_the_covered_share() -> None:
    out = check(computed(), months(300.0, 310.0, 45.0, first=dt.date(2019, 10, 1)), Coverage(end=dt.date(2019, 12, 3)),
                FY_START)
    december = out[-1]
    assert [r.partial for r in out] == [False, False, True] and december.covered_through == dt.date(2019, 12, 3)
    assert december.months_covered == pytest.approx(3 / 31) and not december.questionable  # judged, pro-rated
    assert "ends on 2019-12-03" in december.flags[0].reason


def test_periods_that_began_before_the_data_are_held_out_as_incomplete() -> None:
    """A source whose records begin on 2014-01-01 holds half of FY2014: its total would read as a fall."""
    rows = [ValueRow("fiscal_year", dt.date(2013, 7, 1), "city", "", 5000.0),
            ValueRow("fiscal_year", dt.date(2014, 7, 1), "city", "", 11000.0),
            ValueRow("fiscal_quarter", dt.date(2013, 10, 1), "city", "", 2500.0),
            ValueRow("fiscal_quarter", dt.date(2014, 1, 1), "city", "", 2600.0),
            *months(800.0, 900.0, first=dt.date(2014, 1, 1))]
    out = {(r.grain, r.period_start): r for r in check(computed(), rows, Coverage(start=dt.date(2014, 1, 1)),
                                                        FY_START)}
    fy2014 = out[("fiscal_year", dt.date(2013, 7, 1))]
    assert fy2014.questionable and [f.rule for f in fy2014.flags] == [QualityRule.INCOMPLETE]
    assert fy2014.flags[0].reason == ("the source's data begins on 2014-01-01, after FY2014 began on 2013-07-01: "
                                      "the months before hold no records")
    assert out[("fiscal_quarter", dt.date(2013, 10, 1))].questionable
    assert [key for key, row in out.items() if row.flags] == [("fiscal_year", dt.date(2013, 7, 1)),
                                                              ("fiscal_quarter", dt.date(2013, 10, 1))]


def test_a_mid_month_start_holds_out_that_month_but_not_a_stock_or_a_switched_off_rule() -> None:
    start = Coverage(start=dt.date(2014, 1, 15))
    assert flagged(computed(), months(400.0, 900.0, first=dt.date(2014, 1, 1)), start) == [
        {QualityRule.INCOMPLETE}, set()]
    stock = computed(computation={"kind": "computed", "source": "s", "aggregation": "cumulative_count"})
    assert flagged(stock, months(400.0, 900.0, first=dt.date(2014, 1, 1)), start) == [set(), set()]
    assert flagged(computed(quality={"incomplete": False}), months(400.0, first=dt.date(2014, 1, 1)), start) == [
        set()]


def test_a_sample_flags_every_value_unless_switched_off() -> None:
    sample = Coverage(sample="3,000 requests of 18–21 October 2019")
    assert all(rows == {QualityRule.SAMPLE} for rows in flagged(computed(), months(1.0, 2.0), sample))
    assert flagged(computed(quality={"sample": False}), months(1.0, 2.0), sample) == [set(), set()]


def test_a_held_out_month_holds_out_the_quarter_and_year_that_contain_it() -> None:
    rows = [*months(10.0, -3.0, 12.0, first=dt.date(2024, 7, 1)),
            ValueRow("fiscal_quarter", dt.date(2024, 7, 1), "city", "", 19.0),
            ValueRow("fiscal_year", dt.date(2024, 7, 1), "city", "", 19.0)]
    out = {r.grain: r for r in check(computed(), rows, NONE, FY_START) if r.grain != "month"}
    assert out["fiscal_quarter"].questionable and out["fiscal_year"].questionable
    assert out["fiscal_year"].flags[0].reason.startswith("includes Aug 2024: a count cannot be negative")


def test_a_confirmed_value_counts_again_and_one_marked_wrong_stays_out() -> None:
    [row] = check(metric(), quarters(-5.0), NONE, FY_START)
    assert row.questionable
    assert not dataclasses.replace(row, verdict=Verdict.CONFIRMED).questionable
    assert dataclasses.replace(quarters(5.0)[0], verdict=Verdict.WRONG).questionable


def test_the_run_summary_names_each_rule_once_with_an_example() -> None:
    out = check(metric(format="percent"), quarters(0.3, 3.1, 3.13), NONE, FY_START)
    [line] = summary(out, FY_START)
    assert line.startswith("Wrong scale: FY2024 Q2: outside 0%–100%") and line.endswith("(and 1 more)")


def test_a_held_out_latest_value_leaves_status_to_the_last_good_one() -> None:
    """pm_290's case: a percent entered on another scale is not judged; the page says why."""
    m = MetricSpec.model_validate({
        "id": "mwbe", "title": "Spend with M/WBEs", "definition": "Share of procurement spend.",
        "measure_type": "outcome", "agency": "AG1", "format": "percent", "direction": "increase",
        "frequency": "quarterly", "period_total": "average", "targets": [{"fiscal_year": 2026, "value": 0.31}],
        "computation": {"kind": "reported", "source": "s", "key": "290"}})
    rows = check(m, [ValueRow("fiscal_quarter", dt.date(2025, 7, 1), "city", "", 0.3),
                     ValueRow("fiscal_quarter", dt.date(2025, 10, 1), "city", "", 583809.5)], Coverage(), 7)
    result = assess(m, rows, city=CITY, today=dt.date(2025, 12, 1))
    assert result.status is Status.NEAR_TARGET and result.value == 0.3
    assert "FY2026 Q2 (58,380,950%, reported as 583,809.5: outside 0%–100% for a percent" in result.sentence


def test_reported_figures_on_another_scale_than_the_measure_are_held_out_and_its_targets_kept() -> None:
    riders = metric(period_total="latest", unit="in millions", targets=[{"fiscal_year": 2025, "value": 2.3},
                                                                      {"fiscal_year": 2026, "value": 2.0}])
    values = quarters(386000.0, 343000.0, 0.4, 0.37, 0.33, first=dt.date(2024, 7, 1))
    out = check(riders, values, NONE, FY_START)
    assert rules(out) == [{QualityRule.SCALE}, {QualityRule.SCALE}, set(), set(), set()]
    assert trusted(riders, out)[1] == ()  # the targets agree with the figures that count
    growing = computed()  # computed counts that grew a hundredfold are ours, not a typing slip
    assert flagged(growing, months(1.0, 2.0, 50.0, 150.0, 180.0, 200.0)) == [set()] * 6


def test_a_seasonal_flow_is_neither_off_scale_nor_an_outlier() -> None:
    """Tax credits granted: nearly the whole year lands in the first quarter, every year."""
    credits = metric(targets=[{"fiscal_year": 2025, "value": 3355}, {"fiscal_year": 2026, "value": 2915}])
    values = [ValueRow("fiscal_year", dt.date(2020 + n, 7, 1), "city", "", v)
              for n, v in enumerate([4222.0, 4165.0, 3924.0, 3847.0, 3402.0])]
    values += quarters(3302.0, 13.0, 17.0, 66.0, 3112.0, 27.0, 7.0, first=dt.date(2024, 7, 1))
    assert all(not r for r in flagged(credits, values))


def years(*values: float, first: int = 2021) -> list[ValueRow]:
    return [ValueRow("fiscal_year", dt.date(first - 1 + i, 7, 1), "city", "", v) for i, v in enumerate(values)]


def test_a_lasting_zero_is_the_agencys_word_and_judged_not_hidden() -> None:
    """Bike lanes: 10 miles, then a year reported as 0, then 0 every quarter since: a chronic miss, not a gap."""
    m = metric(format="count", targets=[{"fiscal_year": 2026, "value": 10}])
    reported_zero_year = years(12.0, 10.0, 14.0, 0.0, first=2022) + quarters(0.0, 0.0, 0.0, first=dt.date(2025, 7, 1))
    assert all(not r for r in flagged(m, reported_zero_year))
    long_gap = quarters(400.0, 410.0, 405.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # zeros for a year and a half
    assert flagged(m, long_gap)[3:] == [{QualityRule.NOT_REPORTED}] * 4 + [set()] * 2


def test_quarters_that_add_up_to_the_agencys_annual_figure_are_not_outliers() -> None:
    """A one-time $4M grant in a quarter, confirmed by the year's total: real money, not a spike."""
    grants = metric(format="currency")
    year_quarters = [60_000.0, 82_000.0, 4_703_881.0, 90_000.0]
    values = years(sum(year_quarters), first=2025) + quarters(75_000.0, 70_000.0, *year_quarters, 85_000.0, 78_000.0,
                                                              first=dt.date(2024, 1, 1))
    assert all(not r for r in flagged(grants, values))
    uncorroborated = quarters(75_000.0, 70_000.0, *year_quarters, 85_000.0, 78_000.0, first=dt.date(2024, 1, 1))
    assert {QualityRule.OUTLIER} in flagged(grants, uncorroborated)


def test_a_value_between_a_lower_and_a_higher_neighbour_is_not_a_spike() -> None:
    out = flagged(metric(), quarters(400.0, 420.0, 390.0, 2500.0, 14000.0, 2600.0, 410.0, 395.0, 405.0))
    assert out[3] == set() and out[5] == set() and out[4] == {QualityRule.OUTLIER}
