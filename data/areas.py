"""Which area of a geography holds a point: the city's boundaries (GeoJSON from ``city.yaml``) as a search tree."""

from __future__ import annotations

import json
import re

from metrics.spec import GeographySpec

NUMBER = r"(-?\d+(?:\.\d+)?)"
LAT_LON = re.compile(rf"^\(?\s*{NUMBER}\s*,\s*{NUMBER}\s*\)?$")  # "(39.31, -76.65)" or "39.31,-76.65"
WKT_POINT = re.compile(rf"^POINT\s*\(\s*{NUMBER}\s+{NUMBER}\s*\)$", re.IGNORECASE)  # "POINT (-76.65 39.31)": lon lat


class AreaFinder:
    """The areas of one geography; ``area_of`` answers with the key of the area containing a point."""

    def __init__(self, geography: GeographySpec) -> None:
        if geography.boundaries_path is None:
            raise ValueError(f"geography '{geography.label}' has no boundaries to place points in")
        import shapely  # with NumPy, a tenth of a second: only loads and maps need it, not every process start
        from shapely.geometry import shape

        features = json.loads(geography.boundaries_path.read_text(encoding="utf-8"))["features"]
        self.keys = [str(f["properties"][geography.key_property]) for f in features]
        self.tree = shapely.STRtree([shapely.make_valid(shape(f["geometry"])) for f in features])  # self-crossing rings

    def area_of(self, point: str | None) -> str | None:
        """The area holding ``point`` (latitude, longitude text or WKT), or ``None`` when unknown or outside."""
        lon_lat = parse_point(point)
        if lon_lat is None:
            return None
        import shapely

        hits = self.tree.query(shapely.Point(*lon_lat), predicate="covered_by")
        return self.keys[min(hits)] if len(hits) else None  # on a shared border: the first area in the file


def parse_point(text: str | None) -> tuple[float, float] | None:
    """``(longitude, latitude)`` from "(lat, lon)", "lat, lon" or "POINT (lon lat)"; ``None`` if it is none."""
    if not text:
        return None
    if match := LAT_LON.match(text.strip()):
        lat, lon = float(match[1]), float(match[2])
    elif match := WKT_POINT.match(text.strip()):
        lon, lat = float(match[1]), float(match[2])
    else:
        return None
    return (lon, lat) if -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0, 0) else None
