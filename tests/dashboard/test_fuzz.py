"""Every route and the page router, fuzzed with hypothesis as anonymous, agency and admin viewers (valid form tokens
included, so the writes really run): no answer is ever a 5xx, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.models import Role
from data.users import add_user
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.dashboard.helpers import route, session_of
from tests.helpers import at, put_events

PASSWORD = "correct-horse-battery"
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
FIELDS = ["csrf", "body", "period", "visibility", "subject", "meets_on", "data_cutoff", "attendees", "metric", "note",
          "step", "request", "owner_role", "owner_agency", "due_on", "deliverable", "metrics", "progress", "evidence",
          "evidence_link", "place", "verdict", "reason", "username", "password", "next"]
PLAUSIBLE = ["month:2025-08-01", "year:2026-07-01", "public", "internal", "agency:AG1", "agency:AG2", "district:1",
             "pillar:1", "2025-09-01", "2025-08-31", "Director: Jane Doe", "events_count", "patrol_spend", "up",
             "down", "done", "in_progress", "confirmed", "rejected", "city", "district:1", "https://example.org/a",
             "AG1", "admin", PASSWORD, "/metrics/events_count", "", "0", "-1", "99999999999"]
PAGES = ["/", "/metrics/events_count", "/metrics/patrol_spend", "/pillars/1", "/goals/1.1", "/agencies/AG1",
         "/services/SV1", "/districts/1", "/areas", "/areas/district", "/areas/district/1", "/search", "/about",
         "/data-health", "/admin/audit", "/citistat", "/citistat/1", "/citistat/1/memo", "/follow-ups",
         "/follow-ups/1", "/sign-in", "/sign-out"]
QUERY_KEYS = ["status", "agency", "sort", "grain", "q", "next", "error", "geography", "as_of", "period", "x"]
text = st.text(max_size=40)
value = st.one_of(st.sampled_from(PLAUSIBLE), text)


@dataclass
class Target:
    app: Any
    cookies: dict[str, str | None]  # viewer → session cookie
    tokens: dict[str, str | None]  # viewer → form token of that session
    rules: list[tuple[str, list[str]]]  # every Flask route: its rule and methods


@pytest.fixture
def target(database: str, test_registry: Registry) -> Iterator[Target]:
    from app import create_app

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1, "amount": 5.0,
                                "due_at": at("2025-08-05"), "closed_at": at("2025-08-03")}])
    refresh_all(test_registry)
    agencies = frozenset(test_registry.agencies)
    add_user("admin", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=agencies)
    add_user("works", PASSWORD, Role.AGENCY, frozenset({"AG1"}), actor="test", known_agencies=agencies)
    app = create_app(test_registry)
    sessions = {who: session_of(app, name, PASSWORD, "/metrics/events_count")
                for who, name in (("anonymous", None), ("admin", "admin"), ("agency", "works"))}
    admin = app.server.test_client()
    admin.set_cookie("citistat_session", sessions["admin"][0] or "")
    token = sessions["admin"][1]
    admin.post("/citistat", data={"subject": "agency:AG1", "meets_on": "2025-09-10", "data_cutoff": "2025-08-31",
                                  "attendees": "Director: Jane Doe", "csrf": token})
    admin.post("/citistat/1/follow-ups", data={"request": "Plan", "owner_role": "Director", "owner_agency": "AG1",
                                               "due_on": "2025-10-01", "deliverable": "A plan", "csrf": token})
    admin.post("/metrics/events_count/commentary", data={"period": "month:2025-08-01", "visibility": "public",
                                                         "body": "A note", "csrf": token})
    rules = [(r.rule, sorted(r.methods - {"HEAD", "OPTIONS"})) for r in app.server.url_map.iter_rules()]
    yield Target(app, {k: v[0] for k, v in sessions.items()}, {k: v[1] for k, v in sessions.items()}, rules)


def _argument(converter: str | None) -> st.SearchStrategy[str]:
    if converter == "id":
        return st.one_of(st.sampled_from(["1", "2"]), st.integers(-5, 2**40).map(str))
    if converter == "path":
        return st.text(min_size=1, max_size=40)
    return st.one_of(st.sampled_from(["events_count", "patrol_spend", "AG1", "1"]), st.text(min_size=1, max_size=20))


@st.composite
def requests(draw: st.DrawFn, rules: list[tuple[str, list[str]]]) -> tuple[str, str, dict[str, Any]]:
    rule, methods = draw(st.sampled_from(rules))
    path = ARGUMENT.sub(lambda m: urllib.parse.quote(draw(_argument(m.group(1))), safe="/"), rule)
    method = draw(st.sampled_from(methods))
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), value, max_size=8))
    return method, path, fields


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_no_route_or_page_answers_with_a_server_error(target: Target, data: st.DataObject) -> None:
    who = data.draw(st.sampled_from(sorted(target.cookies)))
    client = target.app.server.test_client()
    if target.cookies[who]:
        client.set_cookie("citistat_session", target.cookies[who] or "")
    if data.draw(st.booleans()):
        method, path, fields = data.draw(requests(target.rules))
        if data.draw(st.booleans()):
            fields["csrf"] = target.tokens[who] or ""
        query = "?" + urllib.parse.urlencode(fields) if method == "GET" and fields else ""
        reply = client.open(path + query, method=method, data=fields if method == "POST" else None)
    else:
        page = data.draw(st.one_of(st.sampled_from(PAGES), st.sampled_from(PAGES).map(lambda p: p + "/")
                                   | text.map(lambda t: "/" + t)))
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_KEYS), value, max_size=3))
        method, path = "ROUTER", page
        reply = route(client, page, search="?" + urllib.parse.urlencode(query) if query else "")
    assert reply.status_code < 500, (who, method, path, reply.get_data()[:300])
    assert b"Traceback" not in reply.get_data()
