"""The quarterly data call clicked through in Debian's Chromium on the City's reported measures: the performance
team opens FY2026 Q4, the appeals board enters three figures (a percent typed "75%", a zero the quality gate
flags), saves and submits; one is returned, fixed and resubmitted; all are accepted; residents see the new figure
and status, and the page as of the day before shows the old one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, update

from data.db import get_engine
from data.models import MetricValue, RefreshRun, Role
from data.users import add_user
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.conftest import BACKENDS, fresh_store
from tests.dashboard.helpers import assert_accessible, go, open_page, serving, signed_in_page
from tests.helpers import load_reported

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "a-long-enough-password"
APPEALS = ["pm_581", "pm_582", "pm_583", "pm_584"]  # Municipal and Zoning Appeals, reported quarterly


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         baltimore_registry: Registry) -> Iterator[str]:
    """The City's reported figures as published two days ago, and the staff of the cycle."""
    from app import create_app

    with fresh_store(request.param, tmp_path_factory.mktemp("data-call")):
        load_reported(baltimore_registry)
        refresh_all(baltimore_registry, APPEALS)
        with get_engine().begin() as conn:  # what the site has shown since the demo was loaded, two days ago
            earlier = ((lambda column: func.datetime(column, "-2 days")) if conn.dialect.name == "sqlite"
                       else (lambda column: column - dt.timedelta(days=2)))
            conn.execute(update(MetricValue.__table__).values(valid_from=earlier(MetricValue.valid_from)))
            conn.execute(update(RefreshRun.__table__).values(started_at=earlier(RefreshRun.started_at),
                                                             finished_at=earlier(RefreshRun.finished_at)))
        known = frozenset(baltimore_registry.agencies)
        add_user("perf", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=known)
        add_user("bmza", PASSWORD, Role.AGENCY, frozenset({"AGC7900"}), actor="test", known_agencies=known)
        with serving(create_app(baltimore_registry)) as base:
            yield base


def enter(page: Any, base: str, metric_id: str, value: str, expect: str, note: str = "", prior: str = "") -> str:
    """Type a figure, wait for its live check to say ``expect``, add the notes, save the draft; the check's text."""
    go(page, f"{base}/data-calls/1/measures/{metric_id}")
    page.fill("#entry-value", value)
    page.wait_for_selector(f"#entry-check:has-text('{expect}')")
    checked = page.inner_text("#entry-check")
    if note:
        page.fill("#entry-note", note)
    if prior:
        page.fill("#entry-prior-note", prior)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_selector("text=Draft saved")
    return checked


def test_a_quarter_from_the_call_to_the_public_page(site: str, browser: Any) -> None:
    admin = signed_in_page(browser, site, "perf", PASSWORD)
    go(admin, site + "/data-calls")
    admin.select_option("#call-period", "FY2026 Q4")
    admin.fill("#call-due", "2026-07-31")
    admin.get_by_role("button", name="Open the data call").click()
    admin.wait_for_selector("h1:has-text('FY2026 Q4 data call')")
    assert "Data call opened: 519 measures assigned to their agencies." in admin.inner_text("#main")

    agency = signed_in_page(browser, site, "bmza", PASSWORD)
    assert agency.url.endswith("/my-agency")
    assert "FY2026 Q4 data call: 4 of 4 measures to report by July 31, 2026" in agency.inner_text("#main")
    assert "Reads as 75%" in enter(agency, site, "pm_581", "75%", "Reads as 75%", note="One of four reversed.",
                                   prior="Every appeal heard on review in FY2025 was upheld.")
    flagged = enter(agency, site, "pm_582", "0", "Likely not reported", note="No hearings in Q4.")
    assert "exactly 0 after" in flagged and "A note is required" in flagged
    enter(agency, site, "pm_583", "27", "Reads as 27 days", note="Above target: the counsel's post was vacant.",
          prior="FY2025 averaged 36 days while the counsel's post was vacant.")
    assert_accessible(agency, "data-call-entry")
    go(agency, site + "/data-calls/1")
    agency.get_by_role("button", name="Submit Municipal and Zoning Appeals's drafts for review").click()
    agency.wait_for_selector("text=3 figures sent for review.")

    go(admin, site + "/data-calls/1/measures/pm_582")
    admin.fill("#return-reason", "Zero days is not possible: enter the average for the hearings held.")
    admin.get_by_role("button", name="Return to the agency").click()
    admin.wait_for_selector("text=Returned to the agency with your reason.")

    go(agency, site + "/my-agency")
    assert "Zero days is not possible" in agency.inner_text("#main")
    enter(agency, site, "pm_582", "48", "Reads as 48 days", note="Four hearings in Q4.")
    go(agency, site + "/data-calls/1")
    agency.get_by_role("button", name="Submit Municipal and Zoning Appeals's drafts for review").click()
    agency.wait_for_selector("text=1 figure sent for review.")

    for metric_id in ("pm_581", "pm_582", "pm_583"):
        go(admin, f"{site}/data-calls/1/measures/{metric_id}")
        admin.get_by_role("button", name="Accept and publish").click()
        admin.wait_for_selector("text=Accepted and published.")
    assert_accessible(admin, "data-call-accepted")
    go(admin, site + "/data-calls/1?agency=AGC7900")
    assert admin.locator(".entries-table .entry-accepted").count() == 3

    resident, problems = open_page(browser, site + "/metrics/pm_582?grain=fiscal_quarter")
    now = resident.inner_text("#main")
    assert "48 days" in now and "FY2026 Q4" in now
    assert resident.inner_text(".status-box").startswith(("✓ On track", "◐ Near target"))
    assert_accessible(resident, "data-call-published")
    day_before = (dt.datetime.now(ZoneInfo("America/New_York")) - dt.timedelta(days=1)).date().isoformat()  # the city's
    go(resident, f"{site}/metrics/pm_582?grain=fiscal_quarter&as_of={day_before}")
    then = resident.inner_text("#main")
    assert "This is the page as it stood at the end of" in then
    assert "FY2026 Q4" not in then and "35 days" in then  # FY2026 Q1, the latest the site had
    assert_accessible(resident)
    assert problems == [] and agency.problems == [] and admin.problems == []
