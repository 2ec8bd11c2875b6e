"""The target a period is compared with: the fiscal year's, a quarter's own, or the year's pro-rated share."""

from __future__ import annotations

import datetime as dt

from metrics.aggregations import PeriodTotal
from metrics.periods import MONTHS_IN, fiscal_year
from metrics.spec import Grain, MetricSpec


def target_for(metric: MetricSpec, grain: Grain, start: dt.date, fy_start: int) -> float | None:
    """The target a period is compared with: the year's, pro-rated for flows below a year."""
    year = fiscal_year(start, fy_start)
    if grain is Grain.FISCAL_QUARTER:
        quarter_target = metric.quarter_target(year, (start.month - fy_start) % 12 // 3 + 1)
        if quarter_target:
            return quarter_target.value
    annual = metric.annual_target(year)
    if annual is None or grain in (Grain.QUARTER, Grain.YEAR):
        return None
    if metric.total is PeriodTotal.SUM:
        return annual.value * MONTHS_IN[grain] / 12
    return annual.value
