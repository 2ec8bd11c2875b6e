"""A CitiStat session clicked through in Debian's Chromium on the Baltimore data: create, agenda, memo PDF,
follow-up assigned, updated by the agency, carried to the next session; commentary on a metric page."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from pypdf import PdfReader

from data.access import Gate
from data.frozen import frozen_view
from data.models import Role
from data.policy import Viewer
from data.sessions import sessions
from data.users import add_user
from metrics.escalation import suggest
from metrics.registry import Registry
from metrics.subjects import Subject, SubjectKind
from tests.dashboard.helpers import assert_accessible, go, open_page, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
POLICE = "AGC5900"
PASSWORD = "a-long-enough-password"
CUTOFF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def staff(served: str, baltimore_registry: Registry) -> str:
    known = frozenset(baltimore_registry.agencies)
    add_user("perf", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=known)
    add_user("bpd", PASSWORD, Role.AGENCY, frozenset({POLICE}), actor="test", known_agencies=known)
    return served


def create_session(page: Any, base: str, meets_on: dt.date) -> None:
    go(page, base + "/citistat")
    page.select_option("#subject", f"agency:{POLICE}")
    page.fill("#meets_on", meets_on.isoformat())
    page.fill("#data_cutoff", CUTOFF.isoformat())
    page.fill("#attendees", "Police Commissioner: R. Worley\nCity Administrator: F. Leach")
    page.get_by_role("button", name="Create session and suggest the agenda").click()
    page.wait_for_selector("h1:has-text('CitiStat: Police')")
    page.wait_for_load_state("networkidle")


def agenda_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".agenda-table tbody th").all_inner_texts()]


def test_a_session_from_creation_to_carried_follow_up(staff: str, browser: Any, baltimore_registry: Registry,
                                                     request: pytest.FixtureRequest) -> None:

    backend = request.node.callspec.params["served"]
    gate = Gate(baltimore_registry)
    admin = signed_in_page(browser, staff, "perf", PASSWORD)
    today = gate.today()
    create_session(admin, staff, today + dt.timedelta(days=2))
    session_url = admin.url

    # the agenda is exactly what the escalation rule picks on the data as of the cutoff
    view = frozen_view(gate, Viewer(Role.ADMIN, "perf"), Subject(SubjectKind.AGENCY, POLICE),
                       dt.datetime.now(dt.UTC), CUTOFF)
    expected = [s.metric.title for s in suggest(view.metrics.values(), view.values, view.assessments, 7)]
    assert len(expected) >= 3 and agenda_titles(admin) == expected
    assert f"The rule suggested {len(expected)} measures" in admin.locator(".alert").inner_text()

    # the analyst reorders and removes, with the reason kept
    admin.get_by_role("button", name=f"Move item 1 down: {expected[0]}").click()
    admin.wait_for_selector("text=Agenda reordered.")
    assert agenda_titles(admin)[:2] == [expected[1], expected[0]]
    admin.get_by_role("textbox", name=f"Reason to remove item {len(expected)}").fill("Covered by the budget hearing")
    admin.get_by_role("button", name=f"Remove item {len(expected)}: {expected[-1]}").click()
    admin.wait_for_selector("text=Taken off the agenda (1)")
    assert expected[-1] not in agenda_titles(admin)

    # a follow-up is assigned in the session
    admin.fill("#fu-request", "Bring a plan to raise online reporting")
    admin.fill("#fu-role", "Deputy Commissioner, Operations")
    admin.fill("#fu-due", (today + dt.timedelta(days=20)).isoformat())
    admin.select_option("#fu-deliverable", "action_plan")
    admin.get_by_role("button", name="Assign follow-up").click()
    admin.wait_for_selector("text=Follow-up assigned.")
    assert "White: not yet due" in admin.locator(".followup-table").first.inner_text()
    assert_accessible(admin, f"citistat-session-{backend}")
    admin.set_viewport_size({"width": 390, "height": 844})  # on a phone the tables scroll, the page does not
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390
    admin.set_viewport_size({"width": 1366, "height": 900})

    # the memo: printable page and PDF
    with admin.expect_download() as download:
        admin.get_by_role("link", name="Download memo (PDF)").click()
    text = " ".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    flat = " ".join(text.split())
    assert "CitiStat briefing: Police" in flat and "Bring a plan to raise online reporting" in flat
    assert " ".join(expected[1].split()) in flat and "Open follow-ups" in flat
    admin.get_by_role("link", name="Briefing memo (printable)").click()
    admin.wait_for_selector("h1:has-text('CitiStat briefing: Police')")
    assert admin.locator(".memo-item").count() == len(expected) - 1

    # the agency user updates its follow-up
    agency = signed_in_page(browser, staff, "bpd", PASSWORD)
    go(agency, staff + "/follow-ups")
    agency.get_by_role("link", name="Bring a plan to raise online reporting").click()
    agency.wait_for_selector("#fu-progress")
    agency.select_option("#fu-progress", "in_progress")
    agency.fill("#fu-evidence", "Draft plan circulated to district commanders")
    agency.get_by_role("button", name="Save progress").click()
    agency.wait_for_selector("text=Follow-up updated.")
    assert "Yellow: in progress" in agency.locator("#main").inner_text()
    assert_accessible(agency)
    go(agency, staff + "/citistat")
    assert agency.locator("text=Police").count() >= 1  # the agency sees its own session

    # the next session on Police carries the open follow-up
    create_session(admin, staff, today + dt.timedelta(days=30))
    assert admin.url != session_url
    carried = admin.locator(".followup-table").last.inner_text()
    assert "Bring a plan to raise online reporting" in carried and "Yellow: in progress" in carried
    assert "What changed since the last session" in admin.locator("#main").inner_text()


def test_staff_comment_appears_on_the_public_metric_page(staff: str, browser: Any) -> None:
    admin = signed_in_page(browser, staff, "perf", PASSWORD)
    go(admin, staff + "/metrics/pm_2")
    admin.fill("#comment-body", "Closures slowed while the new 311 system went live.")
    admin.select_option("#comment-visibility", "public")  # internal is the default
    admin.get_by_role("button", name="Publish comment").click()
    admin.wait_for_selector("text=Comment published.")
    page, problems = open_page(browser, staff + "/metrics/pm_2")
    assert "Closures slowed while the new 311 system went live." in page.locator("#commentary").inner_text()
    assert page.locator("#comment-body").count() == 0 and problems == []


def test_anonymous_visitors_get_no_session_data(staff: str) -> None:
    for path in ("/citistat", "/citistat/1", "/citistat/1/memo", "/follow-ups", "/follow-ups/1",
                 "/download/citistat/1-memo.pdf"):
        try:
            with urllib.request.urlopen(staff + path) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        assert status == 401, path
        assert b"Police" not in body and b"%PDF" not in body
    before = len(sessions(Viewer(Role.ADMIN, "perf")))
    form = urllib.request.Request(staff + "/citistat", data=b"subject=agency%3AAGC5900&meets_on=2026-12-01",
                                  method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:  # no session: 401, a link to sign in, nothing created
        urllib.request.urlopen(form)
    assert refused.value.code == 401 and b'href="/sign-in?next=%2Fcitistat"' in refused.value.read()
    assert len(sessions(Viewer(Role.ADMIN, "perf"))) == before
