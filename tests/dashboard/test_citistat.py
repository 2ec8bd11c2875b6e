"""A CitiStat session clicked through in Debian's Chromium on the Baltimore data: created with a ranked agenda, the
brief, the meeting's decision and commitments, the commitments memo, a follow-up rescheduled with a reason and
updated by the agency, carried to the next session; commentary on a metric page."""

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
from metrics.severity import rank
from metrics.subjects import Subject, SubjectKind
from tests.dashboard.helpers import assert_accessible, go, open_page, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FIRE = "AGC2500"
PASSWORD = "a-long-enough-password"
CUTOFF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def staff(served: str, baltimore_registry: Registry) -> str:
    known = frozenset(baltimore_registry.agencies)
    add_user("perf", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=known)
    add_user("bfd", PASSWORD, Role.AGENCY, frozenset({FIRE}), actor="test", known_agencies=known)
    return served


def create_session(page: Any, base: str, meets_on: dt.date) -> None:
    go(page, base + "/citistat")
    page.select_option("#subject", f"agency:{FIRE}")
    page.fill("#meets_on", meets_on.isoformat())
    page.fill("#data_cutoff", CUTOFF.isoformat())
    page.fill("#attendees", "Fire Chief: J. Wallace <chief@fire.example>\nCity Administrator: F. Leach")
    page.get_by_role("button", name="Create session and suggest the agenda").click()
    page.wait_for_selector("h1:has-text('CitiStat: Fire')")
    page.wait_for_load_state("networkidle")


def agenda_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".agenda-card h3").all_inner_texts()]


def pdf_text(download: Any) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(download.value.path())
    return reader, [" ".join(p.extract_text().split()) for p in reader.pages]


def test_a_session_from_ranked_agenda_to_commitments_and_the_next_session(
        staff: str, browser: Any, baltimore_registry: Registry, request: pytest.FixtureRequest) -> None:
    backend = request.node.callspec.params["served"]
    gate = Gate(baltimore_registry)
    admin = signed_in_page(browser, staff, "perf", PASSWORD)
    today = gate.today()
    create_session(admin, staff, today + dt.timedelta(days=2))
    session_url = admin.url

    # the agenda takes the 8 most severe of the rule's suggestions on the data as of the cutoff; the rest are listed
    view = frozen_view(gate, Viewer(Role.ADMIN, "perf"), Subject(SubjectKind.AGENCY, FIRE),
                       dt.datetime.now(dt.UTC), CUTOFF)
    since = dt.date(2024, 12, 1)  # 18 months before the cutoff's month
    ranked = [r.suggestion.metric.title for r in
              rank(suggest(view.metrics.values(), view.values, view.assessments, 7, since), view.values, 7, since)]
    assert len(ranked) > 8 and agenda_titles(admin) == ranked[:8]
    assert f"Also considered ({len(ranked) - 8})" in admin.locator("#main").inner_text()
    assert_accessible(admin, f"citistat-session-{backend}")
    height = admin.evaluate("document.documentElement.scrollHeight")
    admin.set_viewport_size({"width": 390, "height": 844})  # cards on a phone, no sideways scroll
    assert admin.evaluate("document.documentElement.scrollWidth") <= 390
    assert admin.evaluate("document.documentElement.scrollHeight") < 3 * height
    admin.set_viewport_size({"width": 1366, "height": 900})
    words = [w.strip().lstrip("✓◐✕–⏱ℹ⚠ ") for w in admin.locator(".agenda-card .status-chip").all_inner_texts()]

    # the brief: page 1 is the summary, pages numbered, tagged for screen readers, the page's status words
    with admin.expect_download() as download:
        admin.get_by_role("link", name="Brief (PDF)").click()
    reader, pages = pdf_text(download)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and "/MarkInfo" in root
    assert "Summary" in pages[0] and f"Page 1 of {len(pages)}" in pages[0] and "INTERNAL" in pages[0]
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, start=1))
    assert all(w in pages[0] for w in words)
    assert " ".join(ranked[0].split()) in pages[1] and "Question to ask" in pages[1]

    # the meeting: a decision and two commitments, then the commitments memo
    admin.fill("#decision-text", "Fire to bring a staffing plan for EMS units to the next session.")
    admin.get_by_role("button", name="Record the decision").click()
    admin.wait_for_selector("text=Decision recorded.")
    for request_text, role, days in (("Staffing plan for EMS units", "Deputy Chief, EMS", 20),
                                     ("Fatal fire review", "Fire Marshal", 40)):
        admin.fill("#fu-request", request_text)
        admin.fill("#fu-role", role)
        admin.fill("#fu-due", (today + dt.timedelta(days=days)).isoformat())
        admin.select_option("#fu-deliverable", "action_plan")
        admin.get_by_role("button", name="Assign follow-up").click()
        admin.wait_for_selector("text=Follow-up assigned.")
    with admin.expect_download() as download:
        admin.get_by_role("link", name="Commitments memo (PDF)").click()
    _, memo = pdf_text(download)
    flat = " ".join(memo)
    assert "staffing plan for EMS units to the next session" in flat
    assert "Deputy Chief, EMS, Fire" in flat and "Fire Marshal, Fire" in flat and "Page 1 of" in memo[0]

    # a follow-up's due date is changed with a reason, which its history keeps
    go(admin, staff + "/follow-ups")
    admin.get_by_role("link", name="Staffing plan for EMS units").click()
    admin.wait_for_selector("#change-due")
    admin.fill("#change-due", (today + dt.timedelta(days=27)).isoformat())
    admin.fill("#change-reason", "The union consultation moved a week.")
    admin.get_by_role("button", name="Change").click()
    admin.wait_for_selector("text=Follow-up changed")
    assert "The union consultation moved a week." in admin.locator(".entry-trail").inner_text()

    # the agency reports progress; the next session carries both open commitments
    agency = signed_in_page(browser, staff, "bfd", PASSWORD)
    go(agency, staff + "/follow-ups")
    agency.get_by_role("link", name="Fatal fire review").click()
    agency.wait_for_selector("#fu-progress")
    agency.select_option("#fu-progress", "in_progress")
    agency.fill("#fu-evidence", "Review team named")
    agency.get_by_role("button", name="Save progress").click()
    agency.wait_for_selector("text=Follow-up updated.")
    assert_accessible(agency)
    create_session(admin, staff, today + dt.timedelta(days=30))
    assert admin.url != session_url
    carried = admin.locator(".followup-table").last.inner_text()
    assert "Staffing plan for EMS units" in carried and "Yellow: in progress" in carried


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
    for path in ("/citistat", "/citistat/1", "/follow-ups", "/follow-ups/1", "/download/citistat/1-brief.pdf",
                 "/download/citistat/1-brief.html", "/download/citistat/1-commitments.pdf"):
        try:
            with urllib.request.urlopen(staff + path) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        assert status == 401, path
        assert b"Fire" not in body and b"%PDF" not in body
    before = len(sessions(Viewer(Role.ADMIN, "perf")))
    form = urllib.request.Request(staff + "/citistat", data=b"subject=agency%3AAGC2500&meets_on=2026-12-01",
                                  method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:  # no session: 401, a link to sign in, nothing created
        urllib.request.urlopen(form)
    assert refused.value.code == 401 and b'href="/sign-in?next=%2Fcitistat"' in refused.value.read()
    assert len(sessions(Viewer(Role.ADMIN, "perf"))) == before
