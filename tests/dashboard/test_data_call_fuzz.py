"""The data call's routes, pages and live check fuzzed with hypothesis as anonymous, agency, other-agency, viewer and
admin users (valid form tokens included, so the writes really run): no answer is ever a 5xx, on SQLite and
PostgreSQL, and no figure is ever accepted for an agency by someone who may not."""

from __future__ import annotations

import io
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from data.access import Gate
from data.data_calls import entries, open_call
from data.entry_changes import save_draft, submit
from data.models import Role
from data.policy import Viewer
from data.users import add_user
from metrics.registry import Registry
from metrics.reporting import EntryState
from tests.dashboard.helpers import route, session_of
from tests.helpers import load_reported

PASSWORD = "correct-horse-battery"
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
ADMIN = Viewer(Role.ADMIN, "admin")
APPEALS = Viewer(Role.AGENCY, "bmza", frozenset({"AGC7900"}))
FIELDS = ["csrf", "period", "due_on", "value", "numerator", "denominator", "note", "prior_note", "reason",
          "restatement_reason", "fiscal_year", "decision", "agency", "state"]
PLAUSIBLE = ["FY2026 Q4", "FY2027 Q1", "FY2026", "2026-07-31", "2026-10-31", "75%", "0.75", "75", "N/A", "1,250",
             "(3)", "1e309", "-0", "2027", "approve", "decline", "AGC7900", "AGC3500", "submitted", "pm_581", "", "0",
             "x" * 5000]
PAGES = ["/data-calls", "/data-calls/1", "/data-calls/1/measures/pm_581", "/data-calls/1/measures/pm_225",
         "/data-calls/1/upload", "/data-calls/1/uploads/1", "/data-calls/2", "/my-agency"]
text = st.text(max_size=40)
value = st.one_of(st.sampled_from(PLAUSIBLE), text)


@dataclass
class Target:
    app: Any
    gate: Gate
    cookies: dict[str, str | None]
    tokens: dict[str, str | None]
    rules: list[tuple[str, list[str]]]


@pytest.fixture
def target(database: str, baltimore_registry: Registry) -> Iterator[Target]:
    from app import create_app

    load_reported(baltimore_registry)
    gate = Gate(baltimore_registry)
    open_call(gate, ADMIN, period="FY2026 Q4", due_on="2026-07-31")
    save_draft(gate, APPEALS, 1, "pm_584", value="8", note="Eight hearings.")
    submit(gate, APPEALS, 1, "AGC7900")
    known = frozenset(baltimore_registry.agencies)
    for name, role, agencies in (("admin", Role.ADMIN, frozenset()), ("bmza", Role.AGENCY, frozenset({"AGC7900"})),
                                 ("law", Role.AGENCY, frozenset({"AGC3500"})), ("vic", Role.VIEWER, frozenset())):
        add_user(name, PASSWORD, role, agencies, actor="test", known_agencies=known)
    app = create_app(baltimore_registry)
    sessions = {who: session_of(app, who if who != "anonymous" else None, PASSWORD, "/sign-out")
                for who in ("anonymous", "admin", "bmza", "law", "vic")}
    rules = [(r.rule, sorted(r.methods - {"HEAD", "OPTIONS"})) for r in app.server.url_map.iter_rules()
             if "data-calls" in r.rule]
    yield Target(app, gate, {k: v[0] for k, v in sessions.items()}, {k: v[1] for k, v in sessions.items()}, rules)


def _argument(converter: str | None) -> st.SearchStrategy[str]:
    if converter == "id":
        return st.one_of(st.sampled_from(["1", "2"]), st.integers(-5, 2**40).map(str))
    return st.one_of(st.sampled_from(["pm_581", "pm_584", "pm_225", "AGC7900", "AGC3500"]),
                     st.text(min_size=1, max_size=20))


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_no_data_call_route_page_or_check_answers_with_a_server_error(target: Target, data: st.DataObject) -> None:
    who = data.draw(st.sampled_from(sorted(target.cookies)))
    client = target.app.server.test_client()
    if target.cookies[who]:
        client.set_cookie("citistat_session", target.cookies[who] or "")
    kind = data.draw(st.sampled_from(["route", "page", "check", "upload"]))
    if kind == "route":
        rule, methods = data.draw(st.sampled_from(target.rules))
        path = ARGUMENT.sub(lambda m: urllib.parse.quote(data.draw(_argument(m.group(1))), safe="/"), rule)
        method = data.draw(st.sampled_from(methods))
        fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), value, max_size=6))
        if data.draw(st.booleans()):
            fields["csrf"] = target.tokens[who] or ""
        query = "?" + urllib.parse.urlencode(fields) if method == "GET" and fields else ""
        reply = client.open(path + query, method=method, data=fields if method == "POST" else None)
    elif kind == "page":
        page = data.draw(st.sampled_from(PAGES))
        query = data.draw(st.dictionaries(st.sampled_from(["agency", "state", "as_of", "x"]), value, max_size=2))
        path, reply = page, route(client, page, search="?" + urllib.parse.urlencode(query) if query else "")
    elif kind == "check":
        inputs = [data.draw(st.one_of(st.none(), value)) for _ in range(4)]
        key = data.draw(st.one_of(st.sampled_from(["1:pm_581", "1:pm_225", "1:pm_584", "2:pm_581"]), text))
        path = "check"
        reply = client.post("/_dash-update-component", json={
            "output": "entry-check.children", "outputs": {"id": "entry-check", "property": "children"},
            "inputs": [{"id": f"entry-{name}", "property": "value", "value": typed}
                       for name, typed in zip(("value", "numerator", "denominator", "note"), inputs, strict=True)],
            "changedPropIds": ["entry-value.value"], "state": [{"id": "entry-key", "property": "data", "value": key}]})
    else:
        cells = data.draw(st.lists(st.lists(st.one_of(value, st.floats(allow_nan=True), st.integers()), max_size=4),
                                   max_size=5))
        content = _workbook([["Measure ID", "Value", "Note"], *cells]) if data.draw(st.booleans()) \
            else data.draw(st.binary(max_size=200))
        name = data.draw(st.sampled_from(["figures.xlsx", "figures.csv", "figures.xls", "x"]))
        path = "/data-calls/1/upload"
        reply = client.post(path, data={"csrf": target.tokens[who] or "", "workbook": (io.BytesIO(content), name)},
                            content_type="multipart/form-data")
    assert reply.status_code < 500, (who, kind, path, reply.get_data()[:300])
    assert b"Traceback" not in reply.get_data()
    accepted = {e.metric.id for e in entries(target.gate, ADMIN, 1) if e.state is EntryState.ACCEPTED}
    assert accepted <= {"pm_584"}  # only the admin may accept, and only what was submitted
