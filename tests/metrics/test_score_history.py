"""Score history: which quarter ends a history shows, what they are called, and which values were in hand."""

from __future__ import annotations

import datetime as dt

from metrics.score_history import QUARTERS, in_hand, quarter_ends, quarter_label
from metrics.values import ValueRow


def test_the_last_eight_fiscal_quarter_ends_before_today() -> None:
    ends = quarter_ends(dt.date(2026, 12, 6), fy_start=7)
    assert len(ends) == QUARTERS
    assert ends[0] == dt.date(2024, 12, 31) and ends[-1] == dt.date(2026, 9, 30)
    assert [quarter_label(day, 7) for day in ends[-2:]] == ["FY2026 Q4", "FY2027 Q1"]
    assert quarter_label(dt.date(2026, 3, 31), 7) == "FY2026 Q3"
    assert quarter_label(dt.date(2026, 9, 30), 7) == "FY2027 Q1"


def test_a_quarter_ending_today_is_not_over_yet() -> None:
    assert quarter_ends(dt.date(2026, 9, 30), fy_start=7, count=2) == [dt.date(2026, 3, 31), dt.date(2026, 6, 30)]
    assert quarter_ends(dt.date(2026, 10, 1), fy_start=7, count=1) == [dt.date(2026, 9, 30)]


def test_quarters_follow_the_fiscal_year_that_starts_in_another_month() -> None:
    assert quarter_ends(dt.date(2026, 2, 15), fy_start=10, count=2) == [dt.date(2025, 9, 30), dt.date(2025, 12, 31)]
    assert quarter_ends(dt.date(2026, 2, 15), fy_start=2, count=2) == [dt.date(2025, 10, 31), dt.date(2026, 1, 31)]
    assert quarter_label(dt.date(2026, 1, 31), 2) == "FY2026 Q4"


def test_only_periods_over_by_the_day_were_in_hand() -> None:
    rows = [ValueRow("month", dt.date(2025, 9, 1), "city", "", 1.0),
            ValueRow("month", dt.date(2025, 10, 1), "city", "", 2.0),
            ValueRow("fiscal_quarter", dt.date(2025, 7, 1), "city", "", 3.0),
            ValueRow("fiscal_year", dt.date(2025, 7, 1), "city", "", 4.0)]
    assert [r.value for r in in_hand(rows, dt.date(2025, 9, 30))] == [1.0, 3.0]
