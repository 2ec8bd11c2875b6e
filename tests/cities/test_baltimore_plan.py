"""The City's plan becomes the registry: all of it, deterministically."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from cities.baltimore.plan import CITY_DIR, import_plan
from metrics.registry import read_registry
from metrics.spec import PeriodTotal, Visibility

SHIPPED = CITY_DIR


def fresh_import(tmp_path: Path) -> Path:
    target = tmp_path / "registry"
    shutil.copytree(SHIPPED, target, ignore=shutil.ignore_patterns("city", "data", "*.py", "__pycache__"))
    (target / "data").symlink_to(SHIPPED / "data")  # the load files the validator checks
    import_plan(SHIPPED / "data", target, progress=lambda _: None)
    return target


def test_import_brings_every_measure_pillar_goal_agency_and_service(tmp_path: Path) -> None:
    registry = read_registry(fresh_import(tmp_path))
    city = [m for m in registry.metrics.values() if m.id.startswith("pm_")]
    assert (len(city), len(registry.pillars), len(registry.goals), len(registry.agencies),
            len(registry.services)) == (701, 6, 23, 57, 262)
    assert sum(m.visibility is Visibility.PUBLIC for m in city) == 597  # validated measures
    pm2 = registry.metrics["pm_2"]
    assert pm2.format == "percent" and pm2.annual_target(2025) is not None
    assert pm2.annual_target(2025).value == 0.75  # type: ignore[union-attr]
    assert registry.metrics["pm_97"].baseline.fiscal_year == 2025  # type: ignore[union-attr]


def test_reimport_gives_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    target = fresh_import(tmp_path)
    comparison = filecmp.dircmp(SHIPPED, target)
    assert comparison.diff_files == []
    city = filecmp.dircmp(SHIPPED / "measures" / "city", target / "measures" / "city")
    assert city.diff_files == [] and city.left_only == [] and city.right_only == []


def test_measures_land_on_the_goal_their_pillar_and_subject_name(tmp_path: Path) -> None:
    registry = read_registry(fresh_import(tmp_path))
    linked = [m for m in registry.metrics.values() if m.goal]
    in_their_pillar = [m for m in linked if registry.goals[m.goal].pillar == m.pillar]  # type: ignore[index]
    assert (len(linked), len(in_their_pillar)) == (32, 30)
    energy = {m.id for m in linked if m.goal == "3.4"}
    assert {"pm_89", "pm_92", "pm_665"} <= energy  # energy use and renewables: sustainability, not clean streets
    assert registry.metrics["pm_95"].goal == "3.3"  # grass mowing: clean streets and green spaces
    assert registry.metrics["pm_663"].goal == "6.1"  # average age of fleet: facilities and fleet


def test_a_measure_whose_year_is_about_four_quarters_adds_them_up(tmp_path: Path) -> None:
    """No year of the Fire Department's units dispatched has all four quarters, but FY2025's 74,948 is about four
    times its 17,787 of Q4: the year-to-date figure is the quarters' sum, judged against the annual target."""
    metrics = read_registry(fresh_import(tmp_path)).metrics
    assert metrics["pm_74"].period_total is PeriodTotal.SUM and metrics["pm_73"].period_total is PeriodTotal.SUM
    assert metrics["pm_587"].period_total is PeriodTotal.SUM  # "# of invoices paid": no quarters, a count
    assert metrics["pm_586"].period_total is PeriodTotal.AVERAGE  # "# of days to pay invoices"
    assert metrics["pm_607"].period_total is PeriodTotal.AVERAGE  # "# of election judges per 1,000 voters"
    assert metrics["pm_399"].period_total is PeriodTotal.AVERAGE  # a percent never adds up over quarters
