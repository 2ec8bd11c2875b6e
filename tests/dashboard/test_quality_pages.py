"""The quality gate on the Baltimore demo, in Debian's Chromium: implausible values are flagged where residents
see them, readable by a screen reader, left out of status, and the performance team can confirm one."""

from __future__ import annotations

import csv
import io
import re
import urllib.request
from typing import Any

import pytest

from data.access import Gate
from data.models import Role
from data.policy import ANONYMOUS
from data.users import add_user
from metrics.registry import Registry
from metrics.status import Status
from metrics.values import CITY, QualityRule
from tests.dashboard.helpers import assert_accessible, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "a-long-enough-password"
ZERO_AFTER_HISTORY = ["pm_92", "pm_89", "pm_158", "pm_211", "pm_564", "pm_557", "pm_558", "pm_556", "pm_492"]


def download(url: str) -> list[dict[str, str]]:
    with urllib.request.urlopen(url) as response:  # noqa: S310 (the test server on loopback)
        return list(csv.DictReader(io.StringIO(response.read().decode())))


def test_the_citys_implausible_values_are_held_out_of_status_and_scores(served: str,
                                                                         baltimore_registry: Registry) -> None:
    gate = Gate(baltimore_registry)
    assessments = gate.assessments(ANONYMOUS, gate.today())
    for metric_id in ("pm_290", "pm_665"):  # percents entered on another scale: 50,072,744% and 311%
        assert assessments[metric_id].status is Status.NOT_JUDGED and assessments[metric_id].score is None
    wrong_baselines = [m.id for m in gate.metrics(ANONYMOUS) if m.format and m.format.value == "percent"
                       and m.baseline and not 0 <= m.baseline.value <= 1]
    assert len(wrong_baselines) == 18
    assert all(any(r.what == "Baseline" for r in assessments[m].references) for m in wrong_baselines)
    for metric_id in ZERO_AFTER_HISTORY:
        latest = max((v for v in gate.values(ANONYMOUS, metric_id, geography=CITY) if v.grain == "fiscal_quarter"),
                     key=lambda v: v.period_start)
        assert latest.value == 0 and QualityRule.NOT_REPORTED in {f.rule for f in latest.held_out}, metric_id
        assert assessments[metric_id].value != 0  # judged on the last reported figure, never on the zero
    for metric_id in ("sr311_requests_received", "sr311_closed_on_time"):
        assert assessments[metric_id].status is Status.NOT_JUDGED and "from a sample" in assessments[metric_id].sentence
    rows = download(f"{served}/download/metrics/pm_290.csv")
    assert rows and all(r["used_for_status"] == "no" and r["quality_flags"] == "scale" for r in rows)
    every = download(f"{served}/download/metrics/pm_196.csv?grain=all")  # meals served: Q2 and Q3 reported as 0
    held = [(r["period"], r["used_for_status"], r["quality_flags"]) for r in every if r["geography"] == "city"
            and r["period"] in ("FY2026 Q2", "FY2026 Q3")]
    assert held == [("FY2026 Q2", "no", "not_reported"), ("FY2026 Q3", "no", "not_reported")]
    notes = download(f"{served}/download/metrics/pm_92.csv?grain=fiscal_year")
    assert any(r["note"] for r in notes) and not any("_x000D_" in r["note"] for r in notes)
    assert all(r["sample"].startswith("3,000 requests") for r in download(f"{served}/download/metrics/"
                                                                          "sr311_requests_received.csv"))


@pytest.mark.parametrize(("path", "shown"), [
    ("/metrics/pm_290", "Questionable value: FY2026 Q3"),
    ("/metrics/pm_92", "Baseline on another scale"),
    ("/metrics/sr311_requests_received", "Sample:"),
])
def test_a_flag_is_visible_readable_by_a_screen_reader_and_axe_clean(served: str, browser: Any, path: str,
                                                                      shown: str,
                                                                      request: pytest.FixtureRequest) -> None:

    backend = request.node.callspec.params["served"]
    for width in (1366, 320):
        page, problems = open_page(browser, served + path, width=width)
        region = page.get_by_role("region", name="Data quality")
        assert region.is_visible() and shown in region.aria_snapshot()
        assert "not used for status" in region.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page, f"quality-{path.rsplit('/', 1)[1]}-{width}-{backend}")
        assert problems == []
        page.close()
    page, _ = open_page(browser, served + "/metrics/sr311_requests_received")
    assert "sample" in page.locator(".facts").inner_text()


def test_the_performance_team_confirms_a_value_and_it_counts_again(served: str, browser: Any,
                                                                   baltimore_registry: Registry) -> None:
    add_user("quality", PASSWORD, Role.ADMIN, frozenset(), actor="test",
             known_agencies=frozenset(baltimore_registry.agencies))
    public, _ = open_page(browser, served + "/metrics/pm_557")  # 100% every quarter, then 0% in FY2026 Q3
    assert "FY2026 Q3 (0%: exactly 0 after" in public.locator(".status-sentence").inner_text()
    page, _ = open_page(browser, served + "/sign-in")
    page.fill("#username", "quality")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Sign out (quality)")
    waiting = int(re.search(r"\((\d+) to review\)", page.locator(".site-nav").inner_text()).group(1))  # type: ignore
    page.goto(served + "/metrics/pm_557")
    page.wait_for_selector("#data-quality")
    page.get_by_text("Review FY2026 Q3").click()
    page.select_option("#review-verdict-0", "confirmed")
    page.fill("#review-reason-0", "The division confirmed no strips were mowed in winter")
    page.locator("#data-quality form").first.get_by_role("button", name="Save review").click()
    page.wait_for_selector("text=Review saved: it counts for status again.")
    assert "Confirmed correct: FY2026 Q3 = 0%" in page.locator("#data-quality").inner_text()
    assert f"({waiting - 1} to review)" in page.locator(".site-nav").inner_text()
    public.reload()
    public.wait_for_selector(".status-sentence")
    assert "Not used for status" not in public.locator(".status-sentence").inner_text()
    page.goto(served + "/admin/audit")
    page.wait_for_selector("text=value confirmed")
