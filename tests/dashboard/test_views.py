"""Page data shaping: targets per period, filters and sorting (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.views import BadQuery, choice
from metrics.spec import Grain, MetricSpec
from metrics.targets import target_for


def metric(aggregation: str, fmt: str = "count") -> MetricSpec:
    return MetricSpec.model_validate({
        "id": "m", "title": "M", "definition": "A test measure.", "measure_type": "output", "agency": "A",
        "format": fmt, "direction": "increase", "frequency": "monthly",
        "targets": [{"fiscal_year": 2026, "value": 1200}],
        "computation": {"kind": "computed", "source": "s", "aggregation": aggregation, "value_column": "v",
                        "numerator_filters": [{"column": "v", "op": "not_null"}]}})


def test_flow_targets_are_pro_rated_below_a_year_and_rates_are_not() -> None:
    july = dt.date(2025, 7, 1)
    assert target_for(metric("count"), Grain.FISCAL_YEAR, july, 7) == 1200
    assert target_for(metric("count"), Grain.FISCAL_QUARTER, july, 7) == 300
    assert target_for(metric("count"), Grain.MONTH, dt.date(2026, 6, 1), 7) == 100
    assert target_for(metric("mean"), Grain.MONTH, july, 7) == 1200
    assert target_for(metric("count"), Grain.MONTH, dt.date(2026, 7, 1), 7) is None  # FY2027: no target


def test_choice_refuses_values_the_page_does_not_offer() -> None:
    assert choice({"sort": "title"}, "sort", ["status", "title"], "status") == "title"
    assert choice({}, "sort", ["status", "title"], "status") == "status"
    with pytest.raises(BadQuery, match="unknown sort 'x'"):
        choice({"sort": "x"}, "sort", ["status", "title"])
