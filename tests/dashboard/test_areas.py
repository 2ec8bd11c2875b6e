"""Every geography in city.yaml on the pages, in Debian's Chromium on the Baltimore data: the area index and area
pages, the metric page's breakdown by neighbourhood and police district, keys with slashes and apostrophes in
addresses, unknown areas, the CSV, and axe plus reflow at 320 px on each new page."""

from __future__ import annotations

import csv
import io
import urllib.parse
from typing import Any

import pytest

from dashboard.geo import boundaries
from data.access import Gate
from data.policy import ANONYMOUS
from metrics.registry import Registry
from tests.dashboard.helpers import Client, assert_accessible, open_page, status_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PAGES = {
    "areas": ("/areas", "Areas"),
    "area-index-neighborhood": ("/areas/neighborhood", "Neighborhoods"),
    "area-index-police": ("/areas/police_district", "Police districts"),
    "area-neighborhood": ("/areas/neighborhood/BUTCHER%27S%20HILL", "Butcher's Hill neighborhood"),
    "area-police": ("/areas/police_district/CENTRAL", "Central police district"),
    "area-council": ("/areas/council_district/7", "Council district 7"),
    "area-index-csa": ("/areas/csa", "Community Statistical Areas"),
    "area-csa": ("/areas/csa/Southwest%20Baltimore", "Southwest Baltimore community statistical area"),
    "metric-by-csa": ("/metrics/vacant_notices_open?geography=csa", "Open Vacant Building Notices"),
    "metric-by-neighborhood": ("/metrics/vacant_notices_issued?geography=neighborhood", "Vacant Building Notices"),
    "metric-by-police-district": ("/metrics/sr311_requests_received?geography=police_district",
                                  "311 service requests received"),
}
NEIGHBOURHOOD_METRIC = "vacant_notices_issued"


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


@pytest.mark.parametrize("name", NEW_PAGES)
def test_new_page_passes_axe_and_reflows_at_320_px(served: str, browser: Any, name: str,
                                                    request: pytest.FixtureRequest) -> None:
    path, heading = NEW_PAGES[name]
    backend = request.node.callspec.params["served"]
    assert status_of(served + path) == 200
    for size_name, width in (("desktop", 1366), ("narrow", 320)):
        page, problems = open_page(browser, served + path, width, 900)
        assert heading in page.locator("h1").inner_text() and page.locator("h1").count() == 1
        assert no_sideways_scroll(page), f"{path} scrolls sideways at {width} px"
        assert_accessible(page, f"{name}-{size_name}-{backend}")
        assert problems == [], problems
        page.close()


def test_areas_index_lists_every_geography_of_city_yaml(served: str, browser: Any,
                                                        baltimore_registry: Registry) -> None:
    page, _ = open_page(browser, served + "/")
    page.get_by_role("link", name="Areas", exact=True).click()
    page.wait_for_selector("h1:text-is('Areas')")
    for geography_id, spec in baltimore_registry.city.geographies.items():
        link = page.locator(f"#main a[href='/areas/{geography_id}']")
        assert link.count() == 1, geography_id
        index, problems = open_page(browser, served + f"/areas/{geography_id}")
        outlines = boundaries(spec)
        listed = index.locator("ul.area-list > li").count()
        assert outlines is None or listed >= len(outlines.shapes)
        assert (index.locator("#area-map").count() == 1) == (outlines is not None)
        assert problems == []
        index.close()


def test_area_index_counts_measures_as_the_area_page_shows_them(served: str, browser: Any) -> None:
    page, _ = open_page(browser, served + "/areas/council_district")
    item = page.locator("ul.area-list > li").filter(has=page.get_by_role("link", name="7", exact=True))
    count = int(item.locator(".area-count").inner_text().split()[0])
    counts = {text.split()[0] for text in page.locator("ul.area-list .area-count").all_inner_texts()}
    summary = page.locator(".area-index-map figcaption").inner_text()
    assert ("darker areas have more measures" in summary) == (len(counts) > 1)
    assert (f"every area has {count} measure" in summary) == (counts == {str(count)})
    item.get_by_role("link").click()
    page.wait_for_selector("h1:text-is('Council district 7')")
    assert page.url.endswith("/areas/council_district/7")
    assert page.locator("table.area-measures tbody tr").count() == count > 0


@pytest.mark.parametrize(("name", "key"), [("Panway/Braddish Avenue", "PANWAY/BRADDISH AVENUE"),
                                           ("Butcher's Hill", "BUTCHER'S HILL")])
def test_keys_with_slashes_and_apostrophes_round_trip(served: str, browser: Any, name: str, key: str) -> None:
    page, problems = open_page(browser, served + "/areas/neighborhood")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_selector(f"h1:text-is(\"{name} neighborhood\")")
    assert urllib.parse.unquote(urllib.parse.urlsplit(page.url).path) == f"/areas/neighborhood/{key}"
    assert "%2F" in page.url or "/" not in key
    direct = served + "/areas/neighborhood/" + urllib.parse.quote(key.lower(), safe="")
    assert status_of(direct) == 200  # matched case-insensitively
    again, _ = open_page(browser, direct)
    assert again.locator("h1").inner_text() == f"{name} neighborhood"
    assert problems == []


@pytest.mark.parametrize("path", ["/areas/nowhere", "/areas/city", "/areas/neighborhood/NO%20SUCH%20PLACE",
                                  "/areas/neighborhood/%00", "/areas/neighborhood/a/b", "/areas/council_district/99",
                                  "/districts/99", "/areas/neighborhood/%20"])
def test_unknown_geography_or_area_is_the_not_found_page(served: str, browser: Any, path: str) -> None:
    page, _ = open_page(browser, served + path)
    assert page.locator("h1").inner_text() == "Page not found"
    assert "Traceback" not in page.locator("#main").inner_text()
    assert status_of(served + path) == 404
    assert "<title>Page not found" in Client(served).request(path).body  # not "Council district 99"
    assert page.title().startswith("Page not found")  # and in the browser, once Dash has shown the page


def test_metric_page_breaks_down_by_each_declared_geography(served: str, browser: Any,
                                                           baltimore_registry: Registry) -> None:
    page, problems = open_page(browser, served + f"/metrics/{NEIGHBOURHOOD_METRIC}")
    choices = page.get_by_role("navigation", name="Break down by")
    geographies = baltimore_registry.city.geographies
    assert choices.get_by_role("link").all_inner_texts() == [
        geographies[g].label for g in baltimore_registry.metrics[NEIGHBOURHOOD_METRIC].geographies]
    choices.get_by_role("link", name="Neighborhood").click()
    page.wait_for_selector("h2:text-matches('^By neighborhood, FY')")
    gate = Gate(baltimore_registry)
    stored = gate.values(ANONYMOUS, NEIGHBOURHOOD_METRIC, grain="fiscal_year", geography="neighborhood")
    latest = max(v.period_start for v in stored)
    expected = {v.geo_key for v in stored if v.period_start == latest}
    rows = page.locator("section.breakdown table tbody tr")
    assert rows.count() == len(expected) > 100  # the table holds every area; the chart only the ends
    assert page.locator("section.breakdown #area-map").count() == 1
    assert "10 highest and 10 lowest" in page.locator("section.breakdown").inner_text()
    assert "average neighborhood" in page.locator("section.breakdown .chart-summary").first.inner_text()
    page.locator("section.breakdown details summary").click()  # the long table starts closed
    rows.first.get_by_role("link").click()
    page.wait_for_selector("h1:text-matches('neighborhood$')")
    assert page.locator("table.area-measures").get_by_role("link", name="Vacant Building Notices issued").count()
    assert problems == []


def test_the_demo_shows_vacant_notices_by_community_statistical_area(served: str, browser: Any,
                                                                     baltimore_registry: Registry) -> None:
    page, problems = open_page(browser, served + "/metrics/vacant_notices_open?geography=csa")
    assert page.locator("h2#by-area").inner_text() == "By community statistical area, FY2019"
    summary = page.locator("section.breakdown .chart-summary").first.inner_text()
    assert "55 community statistical area values; highest in Southwest Baltimore (2,503)" in summary
    assert "city total 16,747" in summary  # every notice is placed in an area: the areas add up to the city
    page.goto(served + "/areas/csa/Southwest%20Baltimore")
    page.wait_for_selector("h1:text('Southwest Baltimore community statistical area')")
    assert problems == []


def test_map_click_opens_the_area(served: str, browser: Any) -> None:
    page, problems = open_page(browser, served + "/areas/police_district")
    box = page.locator("#area-map .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
    page.wait_for_selector("h1:text-matches('police district$')")
    assert "/areas/police_district/" in page.url and problems == []


def test_csv_has_every_geography_latest_period(served: str, baltimore_registry: Registry) -> None:
    import urllib.request

    with urllib.request.urlopen(served + f"/download/metrics/{NEIGHBOURHOOD_METRIC}.csv?grain=all") as reply:
        rows = list(csv.DictReader(io.StringIO(reply.read().decode("utf-8"))))
    gate = Gate(baltimore_registry)
    metric = baltimore_registry.metrics[NEIGHBOURHOOD_METRIC]
    assert {r["geography"] for r in rows} == {"city", *metric.geographies}
    for geography in metric.geographies:
        stored = gate.values(ANONYMOUS, NEIGHBOURHOOD_METRIC, grain="fiscal_year", geography=geography)
        latest = max(v.period_start for v in stored)
        assert sorted((r["place"], float(r["value"])) for r in rows if r["geography"] == geography) == sorted(
            (v.geo_key, v.value) for v in stored if v.period_start == latest)


def test_anonymous_area_pages_show_public_measures_only(served: str, browser: Any,
                                                        baltimore_registry: Registry) -> None:
    internal = [m.title for m in baltimore_registry.metrics.values()
                if m.visibility.value == "internal" and "council_district" in m.geographies]
    assert internal  # the 311 days-to-close measure
    page, _ = open_page(browser, served + "/areas/council_district/1")
    text = page.locator("#main").inner_text()
    assert page.locator("table.area-measures tbody tr").count() > 0
    assert not [t for t in internal if t in text]
