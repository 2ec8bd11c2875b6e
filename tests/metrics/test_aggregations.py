"""Aggregation kinds: every kind is registered once, rolls its parts up exactly, and says what it needs."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from metrics.aggregations import KINDS, Aggregation, Part, PeriodTotal
from metrics.issues import Level
from metrics.registry import read_registry
from metrics.validation import validate_registry
from tests.conftest import FIXTURES

METRICS_FILE = "measures/AG1-public-works.yaml"


def test_every_aggregation_is_one_registered_kind() -> None:
    assert set(KINDS) == set(Aggregation)
    assert all(kind.aggregation is aggregation for aggregation, kind in KINDS.items())
    assert all(kind.description and kind.description[0].isupper() for kind in KINDS.values())


def test_counts_and_sums_add_months_up() -> None:
    assert KINDS[Aggregation.COUNT].combine([(3.0,), (4.0,)]) == (7.0, None, None)
    assert KINDS[Aggregation.SUM].combine([(0.1,), (0.2,), (0.3,)]) == (0.6, None, None)  # fsum: exactly 0.6
    assert KINDS[Aggregation.COUNT].period_total is PeriodTotal.SUM


def test_a_mean_pools_its_sums_and_counts_never_averages_the_months() -> None:
    # 10 days over 1 case, then 2 days each over 9 cases: 28 / 10 days, not (10 + 2) / 2.
    assert KINDS[Aggregation.MEAN].combine([(10.0, 1.0), (18.0, 9.0)]) == (2.8, None, None)
    assert KINDS[Aggregation.MEAN].combine([(0.0, 0.0)]) == (None, None, None)


def test_a_ratio_keeps_its_numerator_and_denominator() -> None:
    assert KINDS[Aggregation.RATIO].parts == (Part.NUMERATOR_ROWS, Part.ROWS)
    assert KINDS[Aggregation.RATIO].combine([(3.0, 4.0), (6.0, 8.0)]) == (0.75, 9.0, 12.0)
    assert KINDS[Aggregation.RATIO].combine([(0.0, 0.0)]) == (None, 0.0, 0.0)


def test_a_stock_runs_through_months_without_events_and_a_period_keeps_its_last_month() -> None:
    stock = KINDS[Aggregation.CUMULATIVE_COUNT]
    months = stock.months({dt.date(2025, 11, 1): (2.0,), dt.date(2026, 2, 1): (1.0,)}, dt.date(2026, 3, 1))
    assert months == {dt.date(2025, 11, 1): (2.0,), dt.date(2025, 12, 1): (2.0,), dt.date(2026, 1, 1): (2.0,),
                      dt.date(2026, 2, 1): (3.0,), dt.date(2026, 3, 1): (3.0,)}
    assert stock.combine(list(months.values())) == (3.0, None, None)


def test_additivity_and_readings() -> None:
    assert [a for a, kind in KINDS.items() if kind.readings] == [Aggregation.LATEST]
    assert {a for a, kind in KINDS.items() if kind.additive} == {
        Aggregation.COUNT, Aggregation.SUM, Aggregation.CUMULATIVE_COUNT}
    assert {a for a, kind in KINDS.items() if kind.absent_is_zero} == {
        Aggregation.COUNT, Aggregation.SUM, Aggregation.CUMULATIVE_COUNT}


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "registry", tmp_path / "registry")
    return tmp_path / "registry"


def _computation_findings(root: Path, old: str, new: str) -> list[tuple[Level, str]]:
    path = root / METRICS_FILE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return [(i.level, str(i)) for i in validate_registry(read_registry(root)) if i.rule == "computation"]


@pytest.mark.parametrize(("old", "new", "level", "message"), [
    ("aggregation: ratio", "aggregation: count", Level.ERROR,
     "aggregation 'count' has no numerator: 'numerator_filters' would be ignored"),
    ("      numerator_filters:\n        - {column: closed_at, op: le, other_column: due_at}\n", "", Level.ERROR,
     "aggregation 'ratio' needs 'numerator_filters'"),
    ("{kind: computed, source: events, aggregation: count}",
     "{kind: computed, source: events, aggregation: mean}", Level.ERROR,
     "aggregation 'mean' needs 'value_column' or 'days_between'"),
    ("{kind: computed, source: events, aggregation: count}",
     "{kind: computed, source: events, aggregation: count, days_between: [happened_at, closed_at]}", Level.WARNING,
     "aggregation 'count' reads no value: 'days_between' is ignored"),
])
def test_a_kind_says_what_it_needs_and_what_it_ignores(registry_copy: Path, old: str, new: str, level: Level,
                                                       message: str) -> None:
    [(found_level, text)] = [f for f in _computation_findings(registry_copy, old, new) if message in f[1]]
    assert found_level is level and text.startswith(str(registry_copy / METRICS_FILE))
