"""Roll-ups of month rows: a stock by area lasts to the source's last month."""

from __future__ import annotations

import datetime as dt

from metrics.aggregations import Part
from metrics.spec import MetricSpec
from pipeline.compute import roll_up
from pipeline.query import MONTH


def test_an_areas_stock_lasts_past_its_last_event() -> None:
    metric = MetricSpec.model_validate({
        "id": "open_notices", "title": "Open notices", "definition": "Notices open at the end of the period.",
        "measure_type": "outcome", "agency": "A", "format": "count", "frequency": "monthly",
        "grains": ["month", "fiscal_year"], "geographies": ["district"],
        "computation": {"kind": "computed", "source": "s", "aggregation": "cumulative_count"}})
    rows = [{MONTH: dt.date(2015, 3, 1), "district": 2, Part.ROWS: 3},
            {MONTH: dt.date(2019, 1, 1), "district": 1, Part.ROWS: 5}]
    values = {(v.grain, v.period_start, v.geography, v.geo_key): v.value for v in roll_up(metric, rows, 7)}
    assert values[("month", dt.date(2019, 1, 1), "district", "2")] == 3  # no event since 2015: still 3 open
    assert values[("fiscal_year", dt.date(2018, 7, 1), "district", "2")] == 3
    assert values[("fiscal_year", dt.date(2018, 7, 1), "city", "")] == 8
