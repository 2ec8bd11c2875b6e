"""Geographies without a browser: boundaries from every GeoJSON in city.yaml, area addresses, the area bar chart."""

from __future__ import annotations

import urllib.parse

import pytest

from dashboard.area_views import plural, split_address
from dashboard.figures import MANY_AREAS, SHOWN_EACH_END, area_bar
from dashboard.geo import _read, area_href, area_name, area_title, boundaries, key_order
from dashboard.maps import area_map, areas_without_value
from metrics.registry import Registry
from metrics.spec import FormatType, GeographySpec


def test_every_declared_geography_with_boundaries_reads_and_stays_light(baltimore_registry: Registry) -> None:
    for geography in baltimore_registry.city.geographies.values():
        outlines = boundaries(geography)
        assert outlines is not None and outlines.shapes, geography.label
        west, south, east, north = outlines.bounds
        assert west < east and south < north
        assert 1.0 < outlines.aspect < 2.0  # 1 / cos(latitude) of the file's own bounds, not a constant
        assert outlines.bounds[0] <= outlines.centre[0] <= outlines.bounds[2]
        points = sum(len(ring) for rings in outlines.shapes.values() for ring in rings)
        assert points < 40 * len(outlines.shapes) + 2000, (geography.label, points)  # simplified
        assert all(len(ring) >= 3 for rings in outlines.shapes.values() for ring in rings)


def test_names_match_the_data_case_insensitively(baltimore_registry: Registry) -> None:
    neighborhood = baltimore_registry.city.geographies["neighborhood"]
    assert area_name(neighborhood, "BUTCHER'S HILL") == "Butcher's Hill"
    assert area_title(neighborhood, "BUTCHER'S HILL") == "Butcher's Hill neighborhood"
    assert area_name(neighborhood, "NOT IN THE FILE") == "NOT IN THE FILE"
    council = baltimore_registry.city.geographies["council_district"]
    assert area_title(council, "7") == "Council district 7"


def test_a_geography_without_boundaries_or_with_an_unreadable_file_has_no_map() -> None:
    assert boundaries(GeographySpec(label="Ward")) is None
    assert area_name(GeographySpec(label="Ward"), "27") == "27"
    missing = GeographySpec(label="Ward", boundaries="data/no-such-boundaries.geojson", key_property="name")
    assert boundaries(missing) is None
    assert area_map("ward", missing, {"27": 1.0}, FormatType.COUNT) is None


@pytest.mark.parametrize("key", ["BUTCHER'S HILL", "PANWAY/BRADDISH AVENUE", "Château d'Eau / Nord", "7",
                                 "50% & more?#", "東京"])
def test_area_addresses_round_trip(key: str) -> None:
    address = area_href("neighborhood", key)
    assert address.count("/") == 3 and " " not in address and "?" not in address and "#" not in address
    where = address.removeprefix("/areas/")
    assert split_address(where) == ("neighborhood", key)
    assert urllib.parse.unquote(address) == f"/areas/neighborhood/{key}"


def test_split_address_of_an_index_and_of_nonsense() -> None:
    assert split_address("police_district") == ("police_district", None)
    assert split_address("neighborhood/") == ("neighborhood", None)
    assert split_address("a/b%2Fc/d") == ("a", "b/c/d")


def test_plural_and_order() -> None:
    assert [plural(x) for x in ("Neighborhood", "Police district", "Community Statistical Area", "County",
                                "Bus", "Survey")] == ["Neighborhoods", "Police districts",
                                                      "Community Statistical Areas", "Counties", "Buses", "Surveys"]
    assert sorted(["10", "2", "Abell", "1", "abbott"], key=key_order) == ["1", "2", "10", "abbott", "Abell"]


def test_a_few_areas_are_columns_many_are_the_highest_and_lowest_bars() -> None:
    few = area_bar([str(n) for n in range(1, 15)], [float(n) for n in range(14)], 6.5, "average district 7",
                   FormatType.COUNT, "Council district")
    assert len(few.data[0].x) == 14 and few.data[0].orientation is None
    names = [f"Area {n}" for n in range(278)]
    values = [None if n % 7 == 0 else float(n) for n in range(278)]
    many = area_bar(names, values, 100.0, "average neighborhood 100", FormatType.COUNT, "Neighborhood")
    bars = many.data[0]
    assert bars.orientation == "h" and len(bars.y) == 2 * SHOWN_EACH_END
    assert list(bars.x) == sorted(bars.x, reverse=True) and bars.x[0] == 277.0 and bars.x[-1] == 1.0
    assert many.layout.height < 600 and MANY_AREAS < 278


def test_boundaries_are_read_once(baltimore_registry: Registry) -> None:
    geography = baltimore_registry.city.geographies["neighborhood"]
    assert boundaries(geography) is boundaries(geography)
    assert _read.cache_info().hits >= 1


def test_a_map_whose_areas_all_have_the_same_value_has_one_shade_and_no_scale(baltimore_registry: Registry) -> None:
    council = baltimore_registry.city.geographies["council_district"]
    outlines = boundaries(council)
    assert outlines is not None
    same = area_map("council_district", council, dict.fromkeys(outlines.names.values(), 12.0), FormatType.COUNT)
    varied = area_map("council_district", council, {key: float(n) for n, key in enumerate(outlines.names.values())},
                      FormatType.COUNT)
    assert same is not None and varied is not None
    assert len({trace.fillcolor for trace in same.data}) == 1
    assert not any(trace.marker.showscale for trace in same.data)
    assert len({trace.fillcolor for trace in varied.data if trace.fill}) == len(outlines.shapes)
    assert sum(bool(trace.marker.showscale) for trace in varied.data) == 1


def test_areas_without_a_value_are_hatched_and_counted(baltimore_registry: Registry) -> None:
    council = baltimore_registry.city.geographies["council_district"]
    outlines = boundaries(council)
    assert outlines is not None
    keys = list(outlines.names.values())
    values: dict[str, float | None] = {key: float(n) for n, key in enumerate(keys)}
    values[keys[0]], values[keys[1]] = None, None
    del values[keys[2]]
    figure = area_map("council_district", council, values, FormatType.COUNT)
    assert figure is not None
    hatched = [trace for trace in figure.data if trace.fill and trace.fillpattern.shape]
    assert len(hatched) == 3 and all(trace.fillcolor == "#ffffff" for trace in hatched)
    assert areas_without_value(council, values) == 3
    assert areas_without_value(council, {key.lower(): 1.0 for key in keys}) == 0  # matched case-insensitively
