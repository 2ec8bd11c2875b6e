"""The served app on the real Baltimore data (loaded and refreshed once per backend), a browser, and axe."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from data.config import PROJECT_ROOT
from data.sources import load_source
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.conftest import BACKENDS, fresh_store

CHROMIUM = "/usr/bin/chromium"
ROUTER = ".._pages_content.children..._pages_store.data.."
SCREENSHOTS = PROJECT_ROOT / "tests" / "screenshots"


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           baltimore_registry: Registry) -> Iterator[str]:
    """Base URL of the app serving the Baltimore demo data."""
    from app import create_app

    with fresh_store(request.param, tmp_path_factory.mktemp("served")):
        for source in baltimore_registry.sources.values():
            load_source(source, fy_start_month=7, timezone=baltimore_registry.city.timezone,
                        geographies=baltimore_registry.city.geographies, progress=lambda _: None)
        refresh_all(baltimore_registry)
        app = create_app(baltimore_registry)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests (apt-get install chromium chromium-driver)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        yield launched
        launched.close()


def assert_accessible(page: Any, screenshot: str | None = None) -> None:
    """Axe finds no WCAG 2.1 AA violation on ``page``; with a name, the full page is saved as a screenshot first."""
    from axe_playwright_python.sync_playwright import Axe

    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def route(client: Any, path: Any, outputs: Any = None, search: str = "") -> Any:
    """Ask the page router (as the browser does) for ``path``'s page, through a Flask test client."""
    payload = {
        "output": ROUTER,
        "outputs": outputs if outputs is not None else [{"id": "_pages_content", "property": "children"},
                                                        {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }
    return client.post("/_dash-update-component", json=payload)


def form_token(node: Any) -> str | None:
    """The CSRF token in a rendered page's form."""
    if isinstance(node, dict):
        if node.get("name") == "csrf" and isinstance(node.get("value"), str):
            return str(node["value"])
        node = list(node.values())
    if isinstance(node, list):
        return next((token for child in node if (token := form_token(child))), None)
    return None


def signed_in(app: Any, username: str, password: str) -> Any:
    """A Flask test client with ``username`` signed in through the sign-in form."""
    client = app.server.test_client()
    token = form_token(route(client, "/sign-in").get_json())
    reply = client.post("/auth/sign-in", data={"username": username, "password": password, "csrf": token})
    assert reply.status_code == 302 and "error" not in reply.headers["Location"], reply.headers["Location"]
    return client
