"""Data calls attacked over HTTP: anonymous requests get 401, an agency can neither see nor enter another agency's
measures (pages, posts, the live check, the workbook, uploads), viewers only read, and every write is in the audit
log with the entry before and after."""

from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import and_, or_, select

from data.access import Gate
from data.audit import AUDIT
from data.data_calls import entry, open_call
from data.db import get_engine
from data.models import Role
from data.policy import Viewer
from data.users import add_user
from metrics.registry import Registry
from metrics.reporting import EntryState
from tests.conftest import BACKENDS, fresh_store
from tests.dashboard.helpers import PASSWORD, Client, Reply, serving
from tests.helpers import load_reported

ADMIN = Viewer(Role.ADMIN, "perf")
PAGES = ["/data-calls", "/data-calls/1", "/data-calls/1/measures/pm_581", "/data-calls/1/upload", "/my-agency"]
CHECK = {"output": "entry-check.children", "outputs": {"id": "entry-check", "property": "children"},
         "inputs": [{"id": "entry-value", "property": "value", "value": "75"},
                    {"id": "entry-numerator", "property": "value", "value": ""},
                    {"id": "entry-denominator", "property": "value", "value": ""},
                    {"id": "entry-note", "property": "value", "value": ""}],
         "changedPropIds": ["entry-value.value"],
         "state": [{"id": "entry-key", "property": "data", "value": "1:pm_581"}]}


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         baltimore_registry: Registry) -> Iterator[tuple[str, Gate]]:
    """FY2026 Q4 open on the City's reported measures; the appeals board, Law, a city-wide viewer and an admin."""
    from app import create_app

    with fresh_store(request.param, tmp_path_factory.mktemp("data-call-security")):
        load_reported(baltimore_registry)
        gate = Gate(baltimore_registry)
        open_call(gate, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
        known = frozenset(baltimore_registry.agencies)
        add_user("perf", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=known)
        add_user("bmza", PASSWORD, Role.AGENCY, frozenset({"AGC7900"}), actor="test", known_agencies=known)
        add_user("law", PASSWORD, Role.AGENCY, frozenset({"AGC3500"}), actor="test", known_agencies=known)
        add_user("vic", PASSWORD, Role.VIEWER, frozenset(), actor="test", known_agencies=known)
        with serving(create_app(baltimore_registry)) as base:
            yield base, gate


def signed_in(base: str, username: str | None) -> Client:
    client = Client(base)
    if username:
        assert client.sign_in(username).status == 302
    return client


def post(client: Client, path: str, **form: str) -> Reply:
    fields = {"csrf": client.cookie_csrf("/sign-out"), **form}
    return client.request(path, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")


def upload(client: Client, path: str, name: str, content: bytes) -> Reply:
    boundary = "data-call-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{client.cookie_csrf('/sign-out')}"
            f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"workbook\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.request(path, body, f"multipart/form-data; boundary={boundary}")


def test_anonymous_requests_get_401_and_nothing_internal(site: tuple[str, Gate]) -> None:
    base, gate = site
    anonymous = Client(base)
    for path in PAGES:
        assert anonymous.request(path).status == 401, path
        assert "Sign-in required" in anonymous.page(path).body
    assert anonymous.request("/download/data-calls/1-figures.xlsx").status == 401
    posts = ["/data-calls", "/data-calls/1/measures/pm_581", "/data-calls/1/agencies/AGC7900/submit",
             "/data-calls/1/measures/pm_581/return", "/data-calls/1/measures/pm_581/accept",
             "/data-calls/1/measures/pm_581/targets", "/data-calls/1/targets/1", "/data-calls/1/upload",
             "/data-calls/1/uploads/1/confirm"]
    for path in posts:
        reply = post(anonymous, path, value="75", period="FY2027 Q1", due_on="2026-10-31", reason="x")
        assert reply.status == 401 and "Sign in to continue" in reply.body, path
    assert "Reads as" not in anonymous.callback(CHECK).body
    assert entry(gate, ADMIN, 1, "pm_581").state is EntryState.NOT_STARTED


def test_an_agency_can_neither_see_nor_enter_another_agencys_measures(site: tuple[str, Gate]) -> None:
    base, gate = site
    law = signed_in(base, "law")
    assert law.request("/data-calls/1/measures/pm_581").status == 404
    assert "Municipal" not in law.page("/data-calls/1/measures/pm_581").body
    assert "Municipal and Zoning Appeals" not in law.page("/data-calls/1").body
    assert post(law, "/data-calls/1/measures/pm_581", value="75").status == 404
    assert post(law, "/data-calls/1/agencies/AGC7900/submit").status == 403
    assert post(law, "/data-calls/1/measures/pm_581/targets", fiscal_year="2027", value="80",
                note="x").status in (403, 404)
    assert "Reads as" not in law.callback(CHECK).body
    assert entry(gate, ADMIN, 1, "pm_581").state is EntryState.NOT_STARTED
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Measure ID", "Value"])
    sheet.append(["pm_581", "75%"])
    sheet.append(["pm_225", "30%"])
    out = io.BytesIO()
    book.save(out)
    reply = upload(law, "/data-calls/1/upload", "mixed.xlsx", out.getvalue())
    assert reply.status == 302
    preview = law.page(urllib.parse.urlparse(reply.headers["Location"]).path).body
    assert "measure 'pm_581' is not in this data call" in preview and "pm_225" not in preview.split("Not read")[1]


def test_the_workbook_holds_only_the_agencys_own_measures(site: tuple[str, Gate]) -> None:
    base, _ = site
    law = signed_in(base, "law")
    raw = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(law.jar)).open(
        base + "/download/data-calls/1-figures.xlsx?agency=AGC7900").read()
    assert len(list(load_workbook(io.BytesIO(raw), read_only=True).active.iter_rows())) == 3  # title, help, header
    raw = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(law.jar)).open(
        base + "/download/data-calls/1-figures.xlsx").read()
    keys = [row[0].value for row in load_workbook(io.BytesIO(raw), read_only=True).active.iter_rows(min_row=4)]
    assert keys == [str(n) for n in range(216, 226) if n != 220]  # Law's nine quarterly measures


def test_viewers_read_but_never_write(site: tuple[str, Gate]) -> None:
    base, gate = site
    viewer = signed_in(base, "vic")
    assert viewer.request("/data-calls/1/measures/pm_581").status == 200
    assert "Save draft" not in viewer.page("/data-calls/1/measures/pm_581").body
    assert post(viewer, "/data-calls/1/measures/pm_581", value="75").status == 403
    assert post(viewer, "/data-calls", period="FY2027 Q1", due_on="2026-10-31").status == 403
    assert upload(viewer, "/data-calls/1/upload", "a.csv", b"Measure ID,Value\npm_581,75\n").status == 403
    assert entry(gate, ADMIN, 1, "pm_581").state is EntryState.NOT_STARTED


def test_every_write_is_audited_with_before_and_after(site: tuple[str, Gate]) -> None:
    base, _ = site
    agency, admin = signed_in(base, "bmza"), signed_in(base, "perf")
    path = "/data-calls/1/measures/pm_584"  # hearings per employee: informational, no target needed
    assert post(agency, path, value="12", note="Eight hearings, two staff.").status == 302
    assert post(agency, "/data-calls/1/agencies/AGC7900/submit").status == 302
    assert post(admin, path + "/return", reason="Check the staff count.").status == 302
    assert post(agency, path, value="8", note="Eight hearings, one staff member.",
                prior_note="Fewer cases after the consent docket ended.").status == 302
    assert post(agency, "/data-calls/1/agencies/AGC7900/submit").status == 302
    assert post(admin, path + "/accept").status == 302
    assert post(agency, path + "/targets", fiscal_year="2027", value="10", note="Back to two staff.").status == 302
    with get_engine().connect() as conn:
        ours = or_(AUDIT.c.object_id == "1:pm_584", and_(AUDIT.c.object_type == "data_call", AUDIT.c.action == "open"))
        rows = conn.execute(select(AUDIT).where(ours).order_by(AUDIT.c.id)).all()
        proposals = conn.execute(select(AUDIT).where(AUDIT.c.object_type == "target_proposal")).all()
    assert [(r.actor, r.action) for r in rows] == [
        ("perf", "open"), ("bmza", "save draft"), ("bmza", "submit"), ("perf", "return"), ("bmza", "save draft"),
        ("bmza", "submit"), ("perf", "accept"), ("perf", "publish")]
    for r in rows:
        if r.action != "open":
            assert r.before is not None and r.after is not None, r.action
    changes = {r.action: (json.loads(r.before), json.loads(r.after)) for r in rows if r.action != "open"}
    assert changes["return"] == ({"state": "submitted", "return_reason": None},
                                 {"state": "returned", "return_reason": "Check the staff count."})
    assert changes["publish"][1]["value"] == 8
    assert [r.action for r in proposals] == ["propose"] and json.loads(proposals[0].after)["value"] == 10
