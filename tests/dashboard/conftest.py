"""Fixtures of the dashboard tests: the served app on the real Baltimore data (loaded and refreshed once per backend),
an app on the test registry started per test (``serve``), and a browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from data.config import Settings
from data.models import Role
from data.sources import load_source
from data.users import add_user
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.conftest import BACKENDS, fresh_store
from tests.dashboard.helpers import PASSWORD, serving
from tests.helpers import at, put_events

CHROMIUM = "/usr/bin/chromium"


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
        with serving(create_app(baltimore_registry)) as base:
            yield base


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


@pytest.fixture
def serve(database: str, test_registry: Registry, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[Callable[..., str]]:
    """Start an app (environment overrides as keyword arguments) and return its base URL."""
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "amount": 987654.0,
                                "district": 1}])
    refresh_all(test_registry)
    agencies = frozenset(test_registry.agencies)
    add_user("admin", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=agencies)
    add_user("works", PASSWORD, Role.AGENCY, frozenset({"AG1"}), actor="test", known_agencies=agencies)
    add_user("police", PASSWORD, Role.AGENCY, frozenset({"AG2"}), actor="test", known_agencies=agencies)
    with ExitStack() as servers:

        def start(**environment: str) -> str:
            from app import create_app

            for key, value in environment.items():
                monkeypatch.setenv(key, value)
            app = create_app(test_registry, Settings.from_env())
            if "CITISTAT_SESSION_ABSOLUTE" in environment:
                app.server.config["CITISTAT_SESSION_ABSOLUTE"] = dt.timedelta(seconds=1)
            return servers.enter_context(serving(app))

        yield start
