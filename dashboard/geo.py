"""Geographies declared in city.yaml: boundaries (simplified, keys matched case-insensitively), names and addresses."""

from __future__ import annotations

import functools
import json
import logging
import math
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from metrics.spec import GeographySpec

logger = logging.getLogger(__name__)
Ring = list[tuple[float, float]]
DETAIL = 1 / 1500  # of the map's larger side: below a pixel on a page-wide map, so outlines look the same


@dataclass(frozen=True)
class Boundaries:
    """Outlines by upper-cased key, the names as the boundary file spells them, and the bounding box."""

    shapes: dict[str, list[Ring]]
    names: dict[str, str]
    bounds: tuple[float, float, float, float]  # west, south, east, north

    @property
    def aspect(self) -> float:
        """Degrees of latitude per degree of longitude on screen: 1 / cos(middle latitude) of these bounds."""
        return 1 / math.cos(math.radians((self.bounds[1] + self.bounds[3]) / 2))

    @property
    def centre(self) -> tuple[float, float]:
        return (self.bounds[0] + self.bounds[2]) / 2, (self.bounds[1] + self.bounds[3]) / 2


def boundaries(geography: GeographySpec) -> Boundaries | None:
    """The geography's boundaries, or None when it declares no boundary file."""
    path = geography.boundaries_path
    return _read(path, geography.key_property) if path else None


@functools.cache
def _read(path: Path, key_property: str) -> Boundaries | None:
    """The file's polygons; an unreadable file gives no map (logged once), a feature without the key is skipped."""
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("boundaries %s unreadable, no map drawn: %s", path, exc)
        return None
    shapes: dict[str, list[Ring]] = {}
    names: dict[str, str] = {}
    xs: list[float] = []
    ys: list[float] = []
    for feature in features:
        geometry = (feature.get("geometry") or {}) if isinstance(feature, dict) else {}
        key = (feature.get("properties") or {}).get(key_property) if isinstance(feature, dict) else None
        if key is None or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        name = str(key)
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = [[(float(c[0]), float(c[1])) for c in polygon[0]] for polygon in polygons]
        shapes.setdefault(name.upper(), []).extend(rings)
        names[name.upper()] = name
        for ring in rings:
            xs += [p[0] for p in ring]
            ys += [p[1] for p in ring]
    if not xs:
        return Boundaries({}, names, (0.0, 0.0, 1.0, 1.0))
    tolerance = max(max(xs) - min(xs), max(ys) - min(ys)) * DETAIL
    simplified = {upper: [_simplify(ring, tolerance) for ring in rings] for upper, rings in shapes.items()}
    return Boundaries(simplified, names, (min(xs), min(ys), max(xs), max(ys)))


def _simplify(ring: Ring, tolerance: float) -> Ring:
    """The outline with every point closer than ``tolerance`` to the line through its kept neighbours dropped
    (Ramer–Douglas–Peucker), rounded to ~10 m: keeps pages light, and the map looks the same."""
    if len(ring) < 4:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = ring[first], ring[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        far, distance = first, 0.0
        for i in range(first + 1, last):
            x, y = ring[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / length if length else math.hypot(x - x1, y - y1)
            if d > distance:
                far, distance = i, d
        if distance > tolerance:
            keep[far] = True
            stack += [(first, far), (far, last)]
    return [(round(x, 4), round(y, 4)) for (x, y), kept in zip(ring, keep, strict=True) if kept]


def area_name(geography: GeographySpec, key: str) -> str:
    """The area's name as the boundary file spells it (data keys are often upper-cased), else the key."""
    outlines = boundaries(geography)
    return outlines.names.get(key.upper(), key) if outlines else key


def area_title(geography: GeographySpec, key: str) -> str:
    """"Council district 7" for numbered areas, "Butcher's Hill neighborhood" for named ones."""
    name = area_name(geography, key)
    return f"{geography.label} {name}" if name.isdigit() else f"{name} {geography.label.lower()}"


def area_href(geography_id: str, key: str) -> str:
    """The area page's address, the key percent-encoded (spaces, slashes, apostrophes, any script)."""
    return f"/areas/{geography_id}/{urllib.parse.quote(key, safe='')}"


def key_order(key: str) -> tuple[int, str]:
    """Numbered areas in number order, named ones alphabetically."""
    return (int(key), "") if key.isdigit() else (1 << 30, key.casefold())


def figure_rings(rings: list[Ring]) -> tuple[list[float | None], list[float | None]]:
    """x and y lists for a filled scatter trace, rings separated by None."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in rings:
        xs += [p[0] for p in ring] + [None]
        ys += [p[1] for p in ring] + [None]
    return xs, ys


def centroid(rings: list[Ring]) -> tuple[float, float]:
    """The mean of the largest ring's points: good enough to place a label or a marker."""
    ring = max(rings, key=len)
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
