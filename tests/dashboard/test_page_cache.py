"""Rendered pages are reused until what they show changes, per viewer scope, each session with its own form token."""

from __future__ import annotations

import json
from typing import Any

from dash import Dash

from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.dashboard.helpers import form_token, render, route, signed_in
from tests.helpers import at, put_events


def test_page_is_rendered_again_after_a_refresh(database: str, test_registry: Registry) -> None:
    from app import create_app

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1}])
    refresh_all(test_registry)
    app = create_app(test_registry)
    first = render(app, "/metrics/events_count")
    assert render(app, "/metrics/events_count") == first
    put_events(test_registry, [{"event_id": e, "happened_at": at("2025-08-01"), "district": 1} for e in "abcdefg"])
    refresh_all(test_registry, ["events_count"])
    second = render(app, "/metrics/events_count")
    assert ": 1 in FY2026 through Aug 1, 2025" in _text(first)  # the data ends on 1 August: a partial month
    assert ": 7 in FY2026 through Aug 1, 2025" in _text(second)


def _text(rendered: str) -> str:
    def walk(node: Any) -> str:
        if isinstance(node, dict):
            return " ".join(walk(v) for v in node.values())
        if isinstance(node, list):
            return " ".join(walk(v) for v in node)
        return str(node)

    return walk(json.loads(rendered))


def test_internal_metric_page_is_not_served_to_anonymous_even_when_cached(database: str,
                                                                          test_registry: Registry) -> None:
    from app import create_app

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "amount": 5.0}])
    refresh_all(test_registry)
    app = create_app(test_registry)
    for _ in range(2):
        page = render(app, "/metrics/patrol_spend")
        assert "Page not found" in page and "Patrol overtime" not in page


def test_public_commentary_reaches_the_cached_page_at_once(database: str, test_registry: Registry) -> None:
    from app import create_app
    from data.access import Gate
    from data.commentary import add_comment
    from data.models import Role
    from data.policy import Viewer

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1}])
    refresh_all(test_registry)
    app = create_app(test_registry)
    assert "A storm closed the yard." not in _text(render(app, "/metrics/events_count"))
    add_comment(Gate(test_registry), Viewer(Role.ADMIN, "ana"), "events_count", period="month:2025-08-01",
                visibility="public", body="A storm closed the yard.")
    assert "A storm closed the yard." in _text(render(app, "/metrics/events_count"))


PASSWORD = "correct-horse-battery"


def _staff(test_registry: Registry) -> Dash:
    from app import create_app
    from data.models import Role
    from data.users import add_user

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1, "amount": 5.0}])
    refresh_all(test_registry)
    agencies = frozenset(test_registry.agencies)
    for name, role, scope in (("ana", Role.ADMIN, frozenset()), ("bo", Role.ADMIN, frozenset()),
                              ("works", Role.AGENCY, frozenset({"AG1"})), ("police", Role.AGENCY, frozenset({"AG2"}))):
        add_user(name, PASSWORD, role, scope, actor="test", known_agencies=agencies)
    return create_app(test_registry)


def test_a_cached_staff_page_carries_each_sessions_own_form_token(database: str, test_registry: Registry) -> None:
    app = _staff(test_registry)
    ana, bo = signed_in(app, "ana", PASSWORD), signed_in(app, "bo", PASSWORD)
    first, again = (route(ana, "/metrics/events_count").get_json() for _ in range(2))
    theirs = route(bo, "/metrics/events_count").get_json()
    assert form_token(first) == form_token(again) != form_token(theirs)
    reply = bo.post("/metrics/events_count/commentary", data={
        "period": "month:2025-08-01", "visibility": "internal", "body": "Checked with the yard.",
        "csrf": form_token(theirs)})
    assert reply.status_code == 302
    assert "Comment published" in json.dumps(route(bo, "/metrics/events_count").get_json())
    assert "Checked with the yard." in json.dumps(route(ana, "/metrics/events_count").get_json())  # at once
    assert "Checked with the yard." not in _text(render(app, "/metrics/events_count"))  # internal: not for visitors


def test_a_page_cached_for_one_agency_is_never_served_to_another(database: str, test_registry: Registry) -> None:
    app = _staff(test_registry)
    police, works = signed_in(app, "police", PASSWORD), signed_in(app, "works", PASSWORD)
    for _ in range(2):
        assert "Patrol overtime" in json.dumps(route(police, "/metrics/patrol_spend").get_json())
        refused = json.dumps(route(works, "/metrics/patrol_spend").get_json())
        assert "Patrol overtime" not in refused and "Not available to your account" in refused


def test_tracking_codes_are_ignored_and_cached_with_the_page(database: str, test_registry: Registry) -> None:
    from dashboard.page_cache import read_part

    app = _staff(test_registry)
    visitor = app.server.test_client()
    plain = route(visitor, "/metrics/events_count", search="?grain=month").get_json()
    shared = route(visitor, "/metrics/events_count", search="?utm_source=newsletter&grain=month&fbclid=x").get_json()
    assert shared == plain and "Events" in json.dumps(plain)
    assert read_part("?utm_source=a&grain=month&fbclid=x") == read_part("?grain=month&gclid=y") == "grain=month"
    assert read_part("grain=month") == ""  # without "?" the router reads nothing either


def test_while_the_workers_build_a_refreshs_page_data_visitors_see_the_last_built_and_staff_the_latest(
        database: str, test_registry: Registry) -> None:
    from app import create_app
    from dashboard.context import gate
    from data.models import Role
    from data.users import add_user

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1}])
    refresh_all(test_registry)
    app = create_app(test_registry)
    reads = gate()
    reads.publish(reads.latest_version(), reads.today())  # what the warming thread does (dashboard.warmer)
    put_events(test_registry, [{"event_id": e, "happened_at": at("2025-08-01"), "district": 1} for e in "abcdefg"])
    refresh_all(test_registry, ["events_count"])  # landed; its page data not built yet
    assert ": 1 in FY2026 through Aug 1, 2025" in _text(render(app, "/metrics/events_count"))
    add_user("ada", "a-long-test-password", Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset())
    staff = signed_in(app, "ada", "a-long-test-password")
    assert ": 7 in FY2026 through Aug 1, 2025" in _text(json.dumps(route(staff, "/metrics/events_count").get_json()))
    reads.publish(reads.latest_version(), reads.today())
    assert ": 7 in FY2026 through Aug 1, 2025" in _text(render(app, "/metrics/events_count"))
