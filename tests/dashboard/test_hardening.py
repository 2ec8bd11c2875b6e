"""Issue 11's attack findings, each a request that once answered 500 or leaked across visitors (both backends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from data.models import Role
from data.users import add_user
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.dashboard.helpers import form_token, route, signed_in
from tests.helpers import at, put_events

PASSWORD = "correct-horse-battery"


@pytest.fixture
def app(database: str, test_registry: Registry) -> Iterator[Any]:
    from app import create_app

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1}])
    refresh_all(test_registry)
    for name in ("ana", "bo"):
        add_user(name, PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset())
    yield create_app(test_registry)


def test_a_non_ascii_csrf_value_is_refused_not_a_server_error(app: Any) -> None:
    client = app.server.test_client()
    route(client, "/sign-in")
    reply = client.post("/auth/sign-in", data={"username": "ada", "password": "x", "csrf": "é" * 43})
    assert reply.status_code == 302 and "error=expired" in reply.headers["Location"]


def test_a_nul_byte_in_any_field_is_a_clean_400(app: Any) -> None:
    client = app.server.test_client()
    assert client.post("/auth/sign-in", data={"username": "ada\x00", "password": "x", "csrf": "t"}).status_code == 400
    assert client.get("/search?q=va\x00cant").status_code < 500  # a page: it shows its own friendly message


@pytest.mark.parametrize("path", ["/follow-ups/2147483648", "/commentary/99999999999/withdraw",
                                  "/citistat/2147483648/agenda", "/citistat/1/agenda/4294967296/remove"])
def test_ids_beyond_their_column_are_not_found(app: Any, path: str) -> None:
    assert app.server.test_client().post(path, data={"csrf": "t"}).status_code == 404


def test_a_memo_id_beyond_its_column_is_not_found(app: Any) -> None:
    assert app.server.test_client().get("/download/citistat/2147483648-brief.pdf").status_code == 404


@pytest.mark.parametrize("path, outputs", [("metrics/events_count", None), ("", None), ("/", {}),
                                           ("/", [{"id": "_pages_content"}]), ("/", "x")])
def test_a_router_call_in_the_wrong_shape_is_a_400(app: Any, path: str, outputs: Any) -> None:
    assert route(app.server.test_client(), path, outputs).status_code == 400


@pytest.mark.parametrize("path", ["/_dash-component-suites/flask/app.py", "/_dash-component-suites/dash/../../app.py",
                                  "/_dash-component-suites/dash/nope.js", "/download/nope", "/download/metrics",
                                  "/assets/nope.css"])
def test_unknown_files_are_404(app: Any, path: str) -> None:
    assert app.server.test_client().get(path).status_code == 404


def test_a_visitors_flash_message_is_never_cached_for_others(app: Any) -> None:
    anonymous = app.server.test_client()
    refused = anonymous.post("/metrics/events_count/commentary", data={"body": "x"})
    assert refused.status_code == 401 and 'href="/sign-in?next=%2Fmetrics%2Fevents_count"' in refused.text  # no flash
    ana, bo = signed_in(app, "ana", PASSWORD), signed_in(app, "bo", PASSWORD)
    route(ana, "/metrics/events_count")
    ana.post("/metrics/events_count/commentary", data={"body": "x"})  # no token: "The form expired"
    assert "The form expired" in json.dumps(route(ana, "/metrics/events_count").get_json())
    for later in (bo, app.server.test_client()):  # same scope, and a visitor
        assert "The form expired" not in json.dumps(route(later, "/metrics/events_count").get_json())


@pytest.mark.parametrize("spelling", ["/sign-in", "/sign-in/", "//sign-in", "/sign-in//"])
def test_sign_in_is_never_cached_under_any_spelling(app: Any, spelling: str) -> None:
    first, second = app.server.test_client(), app.server.test_client()
    tokens = [form_token(route(client, spelling).get_json()) for client in (first, second)]
    assert None not in tokens and tokens[0] != tokens[1]


def test_an_oversized_request_is_refused_before_it_is_read(app: Any) -> None:
    client = app.server.test_client()
    assert client.post("/auth/sign-in", data={"username": "a" * 2_000_000, "csrf": "t"}).status_code == 413
    assert route(client, "/" + "a" * 2_000_000).status_code == 413


def test_json_nested_beyond_parsing_is_a_400(app: Any) -> None:
    client = app.server.test_client()
    deep = "[" * 5000 + "]" * 5000
    for body in (deep, '{"output": "x", "inputs": [{"value": ' + deep + '}]}'):
        reply = client.post("/_dash-update-component", data=body, content_type="application/json")
        assert reply.status_code == 400
