"""While the database is unreachable or locked: friendly pages and messages (never a blank page or a 500), nothing
typed is lost, and the app recovers without a restart."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from data.db import dispose_engines
from data.models import Role
from data.users import add_user
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.conftest import fresh_store
from tests.dashboard.helpers import assert_accessible, form_token, route, serving, signed_in
from tests.helpers import at, put_events
from tests.tcp_proxy import TcpProxy

PASSWORD = "correct-horse-battery"
TYPED = "Overtime fell after the new rota; typed while the data was away."
UNAVAILABLE = "Data temporarily unavailable"


def _prepare(registry: Registry) -> None:
    put_events(registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 1}])
    refresh_all(registry)
    add_user("admin", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset(registry.agencies))


@pytest.fixture
def behind_proxy(tmp_path: Path, test_registry: Registry) -> Iterator[tuple[Any, TcpProxy]]:
    """The app on PostgreSQL through a proxy the test can cut."""
    from app import create_app

    with fresh_store("postgres", tmp_path) as url:
        _prepare(test_registry)
        proxy = TcpProxy(("127.0.0.1", 5432))
        os.environ["DATABASE_URL"] = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        dispose_engines()
        try:
            yield create_app(test_registry), proxy
        finally:
            proxy.close()


def _answered_soon(send: Callable[[], Any]) -> Any:
    """The answer to ``send()``, which must come within seconds (not after the old 30 s wait and a 500)."""
    answered: list[Any] = []
    sender = threading.Thread(target=lambda: answered.append(send()))
    sender.start()
    sender.join(timeout=20)
    assert answered, "no answer within 20 s"
    return answered[0]


def _comment(client: Any, token: str | None) -> Any:
    return client.post("/metrics/events_count/commentary", data={
        "period": "month:2025-08-01", "visibility": "public", "body": TYPED, "csrf": token})


@pytest.mark.postgres
def test_an_unreachable_database_gives_friendly_answers_and_the_app_recovers(
        behind_proxy: tuple[Any, TcpProxy]) -> None:
    app, proxy = behind_proxy
    staff, visitor = signed_in(app, "admin", PASSWORD), app.server.test_client()
    token = form_token(route(staff, "/metrics/events_count").get_json())
    proxy.cut()
    page = staff.get("/metrics/events_count")
    assert page.status_code == 503 and UNAVAILABLE in page.text and page.headers["Retry-After"]
    for client in (staff, visitor):
        content = route(client, "/metrics/events_count")
        assert content.status_code == 200 and UNAVAILABLE in content.text  # shown in place of the page
    layout = staff.get("/_dash-layout")
    assert layout.status_code == 200 and UNAVAILABLE in layout.text
    download = visitor.get("/download/metrics/events_count.csv")
    assert download.status_code == 503 and UNAVAILABLE in download.text
    refused = visitor.post("/auth/sign-in", data={"username": "admin", "password": PASSWORD,
                                                  "csrf": form_token(route(visitor, "/sign-in").get_json())})
    assert "error=unavailable" in refused.headers["Location"]
    saved = _comment(staff, token)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/metrics/events_count#commentary")

    proxy.restore()
    again = json.dumps(route(staff, "/metrics/events_count").get_json())
    assert "Not saved" in again and TYPED in again  # the message, and the form holds what was typed
    assert UNAVAILABLE not in json.dumps(route(visitor, "/metrics/events_count").get_json())
    assert visitor.get("/download/metrics/events_count.csv").status_code == 200


@pytest.mark.postgres
@pytest.mark.browser
def test_the_browser_shows_the_message_not_a_blank_page(behind_proxy: tuple[Any, TcpProxy], browser: Any) -> None:
    app, proxy = behind_proxy
    with serving(app) as base:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        proxy.cut()
        for path in ("/", "/metrics/events_count"):
            page.goto(base + path)
            page.wait_for_selector(".unavailable, h1", timeout=15_000)
            assert UNAVAILABLE in page.locator("h1").first.inner_text()
            page.wait_for_function(f"document.title.startsWith({UNAVAILABLE!r})")
        assert not [e for e in errors if "TypeError" in e], errors  # the page's title script gets its title too
        assert_accessible(page, "outage-metric")
        proxy.restore()
        page.goto(base + "/metrics/events_count")
        page.wait_for_selector("#main h1", timeout=15_000)
        assert UNAVAILABLE not in page.locator("#main").inner_text()
        page.close()


def test_a_staff_write_meeting_a_locked_store_returns_the_form_with_what_was_typed(
        tmp_path: Path, test_registry: Registry) -> None:
    from app import create_app

    with fresh_store("sqlite", tmp_path) as url:
        _prepare(test_registry)
        app = create_app(test_registry)
        staff, leaving = signed_in(app, "admin", PASSWORD), signed_in(app, "admin", PASSWORD)
        token = form_token(route(staff, "/metrics/events_count").get_json())
        holder = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the store
        assert _answered_soon(lambda: _comment(staff, token)).status_code == 302
        back = json.dumps(route(staff, "/metrics/events_count").get_json())
        assert "Not saved" in back and TYPED in back
        out = _answered_soon(lambda: leaving.post("/auth/sign-out", data={
            "csrf": form_token(route(leaving, "/metrics/events_count").get_json())}))
        assert out.status_code == 302 and "Sign-in required" in json.dumps(route(leaving, "/data-health").get_json())
        visitor = app.server.test_client()
        refused = _answered_soon(lambda: visitor.post("/auth/sign-in", data={
            "username": "admin", "password": PASSWORD, "csrf": form_token(route(visitor, "/sign-in").get_json())}))
        assert "error=unavailable" in refused.headers["Location"]
        holder.execute("ROLLBACK")
        holder.close()
        token = form_token(route(staff, "/metrics/events_count").get_json())
        assert _comment(staff, token).status_code == 302
        assert "Comment published" in json.dumps(route(staff, "/metrics/events_count").get_json())
