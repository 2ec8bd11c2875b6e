"""Rendered pages are reused until a refresh lands or commentary changes, and only for anonymous visitors."""

from __future__ import annotations

import json
from typing import Any

from dash import Dash

from metrics.refresh import refresh_all
from metrics.registry import Registry
from tests.helpers import at, put_events


def render(app: Dash, path: str) -> str:
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }
    response = app.server.test_client().post("/_dash-update-component", json=payload)
    assert response.status_code == 200
    return json.dumps(response.get_json())


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
    from data.access import Gate, Viewer
    from data.commentary import add_comment
    from data.models import Role

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1}])
    refresh_all(test_registry)
    app = create_app(test_registry)
    assert "A storm closed the yard." not in _text(render(app, "/metrics/events_count"))
    add_comment(Gate(test_registry), Viewer(Role.ADMIN, "ana"), "events_count", period="month:2025-08-01",
                visibility="public", body="A storm closed the yard.")
    assert "A storm closed the yard." in _text(render(app, "/metrics/events_count"))
