"""The page table is the only list of pages: every registered page has its entry, every entry is registered, and
routing, status, nav and guard follow it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import dash
import pytest

from dashboard.page_table import PAGES, PREFIX, Audience, find
from metrics.registry import Registry


@pytest.fixture
def app(database: str, test_registry: Registry) -> Iterator[Any]:
    from app import create_app

    yield create_app(test_registry)


def test_every_registered_page_is_in_the_table_and_every_entry_is_registered(app: Any) -> None:
    registered = {page["module"].removeprefix(PREFIX): page["path_template"] or page["path"]
                  for page in dash.page_registry.values()}
    assert registered == {page.module: page.path for page in PAGES}


@pytest.mark.parametrize(("path", "module"), [
    ("/", "home"), ("/metrics/pm_2/", "metric"), ("/citistat/7/memo", None),
    ("/citistat/7", "citistat_session"), ("/areas/neighborhood/A%2FB/C", "area"), ("/nowhere/x", None)])
def test_an_address_finds_its_page(path: str, module: str | None) -> None:
    found = find(path)
    assert (found[0].module if found else None) == module


def test_staff_pages_are_not_offered_to_visitors_and_sign_in_is_open_everywhere(app: Any) -> None:
    visitor = app.server.test_client()
    for page in PAGES:
        if "<" in page.path:
            continue
        expected = {Audience.EVERYONE: 200, Audience.ANYONE: 200, Audience.STAFF: 401, Audience.ADMIN: 401}
        assert visitor.get(page.path).status_code == expected[page.audience], page.path


def test_dash_takes_every_address_to_the_same_page_as_the_table(app: Any) -> None:
    """Dash matches a path template with a wildcard that crosses slashes: deeper shapes must be tried first."""
    from dash._pages import _path_to_page

    for page in PAGES:
        path = re.sub(r"<\w+>", "7", page.path)
        routed, _ = _path_to_page(path.strip("/"))
        assert routed["module"].removeprefix(PREFIX) == page.module, path
