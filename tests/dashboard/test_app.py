"""The app: refuses an invalid registry; serves the overview on real data in a real browser, with no axe
violations."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from data.config import PROJECT_ROOT
from data.sources import load_source
from metrics.refresh import refresh_all
from metrics.registry import Registry
from tests.conftest import FIXTURES

SCREENSHOTS = PROJECT_ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


def test_app_refuses_to_start_on_an_invalid_registry(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(FIXTURES / "registry", registry)
    path = registry / "measures" / "AG1-public-works.yaml"
    path.write_text(path.read_text().replace("    agency: AG1\n", "    agency: AG9\n", 1))
    run = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                         env=os.environ | {"REGISTRY_DIR": str(registry), "PORT": "0"}, check=False)
    assert run.returncode == 1
    assert "Refusing to start" in run.stderr
    assert "measures/AG1-public-works.yaml:7: error[unknown-agency]" in run.stderr


@pytest.fixture
def served(database: str, baltimore_registry: Registry) -> Iterator[str]:
    from app import create_app

    for source in baltimore_registry.sources.values():
        load_source(source, fy_start_month=7, timezone=baltimore_registry.city.timezone, progress=lambda _: None)
    refresh_all(baltimore_registry)
    app = create_app(baltimore_registry)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.mark.browser
@pytest.mark.slow
def test_overview_shows_six_pillars_and_passes_axe(served: str, request: pytest.FixtureRequest) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    from axe_playwright_python.sync_playwright import Axe

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests (apt-get install chromium chromium-driver)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    backend = request.node.callspec.params["database"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for name, size in {"desktop": (1366, 900), "phone": (390, 844)}.items():
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(served + "/")
            page.wait_for_selector(".pillar-card")
            cards = page.locator(".pillar-card")
            assert cards.count() == 6
            assert "Enhancing Public Safety" in cards.first.inner_text()
            assert "public measures" in cards.first.inner_text()
            assert page.locator("h1").count() == 1
            assert page.locator("html").get_attribute("lang") == "en"
            page.screenshot(path=str(SCREENSHOTS / f"overview-{name}-{backend}.png"), full_page=True)
            results = Axe().run(page)
            assert results.violations_count == 0, results.generate_report()
        browser.close()
