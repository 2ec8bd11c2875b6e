"""Pages are light on a phone: the charts load the partial plotly.js bundle (compressed once, cached), every chart
the pages build is one that bundle draws, and a first visit stays within its byte budget."""

from __future__ import annotations

import gzip
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from plotly.offline import get_plotlyjs_version

from dashboard.plotly_bundle import BUNDLE, TRACE_TYPES
from tests.dashboard.helpers import Client

PLOTLY_JS = "/_dash-component-suites/plotly/package_data/plotly.min.js"
CHART_PAGES = ("/metrics/illegal_dumping_requests", "/metrics/pm_2", "/metrics/sr311_closed_on_time", "/districts",
               "/areas/neighborhood")
BUDGET_KB = {"/": 500, "/pillars/3": 500, "/metrics/illegal_dumping_requests": 1000, "/districts": 1000}


def test_the_bundle_is_the_plotly_js_that_plotly_py_writes_figures_for() -> None:
    assert f"v{get_plotlyjs_version()}\n" in BUNDLE.read_text(encoding="utf-8")[:200], \
        "plotly was upgraded: vendor the same version's plotly.js-basic-dist-min into assets/vendor/"


def test_the_bundle_is_served_compressed_and_revalidated(served: str) -> None:
    request = urllib.request.Request(served + PLOTLY_JS, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback test server
        assert response.headers["Content-Encoding"] == "gzip"
        assert "max-age" in response.headers["Cache-Control"]
        etag, body = response.headers["ETag"], response.read()
    assert 200_000 < len(body) < 600_000
    assert gzip.decompress(body) == BUNDLE.read_bytes()
    with urllib.request.urlopen(served + PLOTLY_JS, timeout=30) as plain:  # noqa: S310
        assert plain.headers.get("Content-Encoding") is None and plain.read() == BUNDLE.read_bytes()
    again = urllib.request.Request(served + PLOTLY_JS, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as unchanged:
        urllib.request.urlopen(again, timeout=30)  # noqa: S310
    assert unchanged.value.code == 304


def _figures(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("figure"), dict):
            yield node["figure"]
        for child in node.values():
            yield from _figures(child)
    elif isinstance(node, list):
        for child in node:
            yield from _figures(child)


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_is_one_the_bundle_draws(served: str, path: str) -> None:
    figures = list(_figures(json.loads(Client(served).page(path).body)))
    assert figures, f"{path} draws no chart"
    used = {trace.get("type", "scatter") for figure in figures for trace in figure.get("data", [])}
    assert used <= TRACE_TYPES, f"{path} draws {sorted(used - TRACE_TYPES)}, which the partial bundle lacks"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("path", BUDGET_KB)
def test_a_first_visit_stays_within_its_budget(served: str, browser: Any, path: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    received: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda event: received.__setitem__(event["requestId"],
                                                                         event["encodedDataLength"]))
    page.goto(served + path)
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")
    graphs = page.locator(".dash-graph")
    for index in range(graphs.count()):
        graphs.nth(index).locator(".main-svg").first.wait_for()
    kilobytes = sum(received.values()) / 1024
    assert kilobytes <= BUDGET_KB[path], f"{path}: {kilobytes:,.0f} KB on a first visit"
    assert problems == [], problems
    page.close()
