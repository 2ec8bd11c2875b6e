"""A second, invented city (Riverton, ``tests/fixtures/riverton``) loads, refreshes and serves its own pages:
its name, plan, October fiscal year and wards, and nothing of Baltimore."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

import pytest

from data.models import Role, RunStatus
from data.sources import load_source
from metrics.publishable import load_registry
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.conftest import BACKENDS, FIXTURES, fresh_store
from tests.dashboard.helpers import assert_accessible, open_page, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FOREIGN = re.compile(r"baltimore|mayor's action plan|beacon|council district", re.IGNORECASE)
PUBLIC_METRICS = {
    "rv_street_requests_received": "Street requests received",
    "rv_street_requests_on_time": "Street requests closed on time",
    "rv_food_inspections_done": "Food inspections completed",
    "rv_food_inspection_pass_rate": "Food inspections passed",
}
INTERNAL_METRIC = ("rv_street_requests_days_to_close", "Average days to close a street request")
PAGES = {
    "/": "How Riverton is doing",
    "/about": "About the data and methods",
    "/pillars/RV1": "Responsive Streets",
    "/pillars/RV2": "Safe and Healthy Food",
    "/goals/RV1.1": "Goal RV1.1",
    "/goals/RV2.1": "Goal RV2.1",
    "/agencies/RVSTR": "Riverton Streets Department",
    "/agencies/RVHLT": "Riverton Health Department",
    "/services/RVS10": "Street Request Response",
    "/services/RVS20": "Food Safety Inspections",
    **{f"/metrics/{metric_id}": title for metric_id, title in PUBLIC_METRICS.items()},
    "/areas": "Areas",
    "/areas/ward": "Ward",
    "/areas/ward/1": "Ward 1",
    "/areas/ward/3": "Ward 3",
    "/districts/1": "Ward 1",
    "/search?q=a": "Search",
}


@pytest.fixture(scope="module")
def riverton() -> Registry:
    registry = load_registry(FIXTURES / "riverton")
    assert not registry.set_aside, registry.set_aside
    return registry


@pytest.fixture(scope="module", params=BACKENDS)
def riverton_served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    riverton: Registry) -> Iterator[str]:
    """Base URL of the app serving Riverton's loaded and refreshed data."""
    from app import create_app

    city = riverton.city
    with fresh_store(request.param, tmp_path_factory.mktemp("riverton")):
        for source in riverton.sources.values():
            report = load_source(source, fy_start_month=city.fiscal_year_start_month, timezone=city.timezone,
                                 geographies=city.geographies, progress=lambda _: None)
            assert report.rows_rejected == 0 and report.rows_loaded > 0, report
        results = refresh_all(riverton)
        assert sorted(r.metric_id for r in results) == sorted([*PUBLIC_METRICS, INTERNAL_METRIC[0]])
        assert all(r.status is RunStatus.SUCCESS and r.rows > 0 for r in results), results
        with serving(create_app(riverton)) as base:
            yield base


def requests_rows() -> list[dict[str, str]]:
    with (FIXTURES / "riverton" / "data" / "requests.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def foreign_words(page: Any) -> list[str]:
    """What of Baltimore the page's text, title or markup (labels, alternative text) says."""
    return FOREIGN.findall(page.locator("body").inner_text()) + FOREIGN.findall(page.content())


def test_every_page_is_riverton_and_nothing_of_baltimore(riverton_served: str, browser: Any) -> None:
    for path, heading in PAGES.items():
        page, problems = open_page(browser, riverton_served + path)
        h1 = page.locator("#main h1").inner_text()
        assert h1 != "Page not found" and heading in h1, (path, h1)
        assert page.locator("h1").count() == 1, path
        assert not foreign_words(page), (path, foreign_words(page))
        assert "Data: Riverton open data (invented for tests)." in page.locator("footer").inner_text(), path
        assert not problems, (path, problems)
        page.close()


def test_overview_names_the_city_its_plan_and_tagline(riverton_served: str, browser: Any) -> None:
    page, _ = open_page(browser, riverton_served + "/")
    text = page.locator("body").inner_text()
    assert "Riverton" in page.locator("h1").inner_text()
    assert "How Riverton is doing on its Strategic Plan, ward by ward" in text
    assert "Responsive Streets" in text and "Safe and Healthy Food" in text
    assert_accessible(page, "riverton-home")


def test_about_states_the_october_fiscal_year(riverton_served: str, browser: Any) -> None:
    page, _ = open_page(browser, riverton_served + "/about")
    text = page.locator("body").inner_text()
    assert "Riverton's fiscal year starts in October" in text
    assert "FY2026 runs from October 2025 to September 2026" in text
    assert "the Riverton Strategic Plan" in text
    assert "Street requests (invented)" in text


def test_metric_page_shows_fiscal_quarters_and_wards(riverton_served: str, browser: Any) -> None:
    page, _ = open_page(browser, riverton_served + "/metrics/rv_street_requests_on_time?grain=fiscal_quarter")
    page.wait_for_selector(".status-sentence")
    text = page.locator("body").inner_text()
    assert "FY2026 Q1" in text and "FY2025 Q4" in text  # October–December 2025, July–September 2025
    closed = [r for r in requests_rows() if r["closed_at"] and "2024-10-01" <= r["created_at"] < "2025-01-01"]
    on_time = [r for r in closed if r["closed_at"] <= r["due_at"]]
    first_quarter = page.locator("tr", has_text="FY2025 Q1").first.inner_text()
    assert f"{len(on_time)}\t{len(closed)}" in first_quarter  # FY2025 Q1 is October to December 2024
    assert "By ward, FY2026" in text and "highest in ward" in text
    assert not foreign_words(page)
    assert_accessible(page, "riverton-metric")


def test_internal_metric_is_for_staff(riverton_served: str, browser: Any, riverton: Registry) -> None:
    from data.users import UserError, add_user

    metric_id, title = INTERNAL_METRIC
    page, _ = open_page(browser, riverton_served + f"/metrics/{metric_id}")
    assert page.locator("h1").inner_text() == "Page not found"
    try:
        add_user("rv-analyst", "a-long-enough-password", Role.ADMIN, frozenset(), actor="test",
                 known_agencies=frozenset(riverton.agencies))
    except UserError:
        pass  # added by the other backend's run of this module
    page.goto(riverton_served + "/sign-in")
    page.wait_for_selector("#username")
    page.fill("#username", "rv-analyst")
    page.fill("#password", "a-long-enough-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Sign out (rv-analyst)")
    page.goto(riverton_served + f"/metrics/{metric_id}")
    page.wait_for_selector(".status-sentence")
    assert page.locator("h1").inner_text() == title
    assert not foreign_words(page)
    for path, heading in {"/citistat": "CitiStat sessions", "/follow-ups": "Follow-ups",
                          "/data-health": "Data health"}.items():
        page.goto(riverton_served + path)
        page.wait_for_selector("#main h1")
        assert heading in page.locator("#main h1").inner_text(), path
        assert not foreign_words(page), (path, foreign_words(page))
    page.goto(riverton_served + "/citistat")
    page.wait_for_selector("#subject")
    assert "Each session reviews one agency, pillar or ward:" in page.locator("#main").inner_text()
    assert "Ward 3" in page.locator("#subject").inner_text()  # a district session on each ward
