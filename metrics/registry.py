"""Reads the registry folder (YAML) into one frozen :class:`Registry`, keeping where each object was declared."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from metrics.issues import Issue, Level, Location
from metrics.spec import Agency, City, Goal, MetricSpec, Pillar, Service, SourceSpec
from metrics.yaml_lines import LineMap, line_of, load_yaml

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# file name -> (top-level key, model). Metrics live in measures/**/*.yaml under the key ``metrics``.
SECTIONS: dict[str, tuple[str, str, type[BaseModel]]] = {
    "pillars.yaml": ("pillars", "pillar", Pillar),
    "goals.yaml": ("goals", "goal", Goal),
    "agencies.yaml": ("agencies", "agency", Agency),
    "services.yaml": ("services", "service", Service),
    "sources.yaml": ("sources", "source", SourceSpec),
}
MEASURES_DIR = "measures"


@dataclass(frozen=True)
class Registry:
    """Every declared object, indexed by id, plus the file and line each one came from."""

    root: Path
    city: City
    pillars: dict[str, Pillar]
    goals: dict[str, Goal]
    agencies: dict[str, Agency]
    services: dict[str, Service]
    sources: dict[str, SourceSpec]
    metrics: dict[str, MetricSpec]
    locations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (kind, path) → (file, line)
    parse_issues: tuple[Issue, ...] = ()
    set_aside: tuple[Issue, ...] = ()  # the blocking issues of objects left out so the rest can publish

    def where(self, kind: str, object_id: str, key: str | None = None) -> Location:
        """Where an object, or one of its keys (a dotted path such as ``targets.1.value``), was declared."""
        path = f"{object_id}.{key}" if key else object_id
        while path:
            if (kind, path) in self.locations:
                return Location(*self.locations[(kind, path)])
            path = path.rpartition(".")[0]
        return Location(str(self.root), 1)

    def pillar_of(self, metric: MetricSpec) -> str | None:
        """The metric's pillar, else its goal's, else its first budget service's."""
        if metric.pillar:
            return metric.pillar
        if metric.goal and metric.goal in self.goals:
            return self.goals[metric.goal].pillar
        for service_id in metric.services:
            service = self.services.get(service_id)
            if service and service.pillar:
                return service.pillar
        return None


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[Issue] = []
        self.locations: dict[tuple[str, str], tuple[str, int]] = {}  # pairs, not Locations: 150,000 at 5,000 metrics

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def read(self, path: Path) -> Any:
        try:
            return load_yaml(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            ended = "end of stream" in (exc.problem or "") and exc.context_mark  # name where the unfinished thing began
            mark = exc.context_mark if ended else exc.problem_mark
            context = f" ({exc.context}, line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
            self.error("yaml", f"cannot parse YAML: {exc.problem}{context}", path, mark.line + 1 if mark else 1)
        except yaml.YAMLError as exc:
            self.error("yaml", f"cannot parse YAML: {exc}", path, 1)
        return None

    def error(self, rule: str, message: str, path: Path, line: int, owner: tuple[str, str] | None = None) -> None:
        self.issues.append(Issue(Level.ERROR, rule, message, Location(self.rel(path), line), owner=owner))

    def models(self, path: Path, key: str, model: type[M], kind: str) -> list[M]:
        data = self.read(path)
        if data is None:
            return []
        if not isinstance(data, LineMap) or set(data) != {key}:
            self.error("schema", f"expected one top-level key '{key}' holding a list", path, getattr(data, "line", 1))
            return []
        items = data[key] or []
        if not isinstance(items, list):
            self.error("schema", f"'{key}' must be a list", path, data.lines[key])
            return []
        parsed: list[M] = []
        for item in items:
            line = getattr(item, "line", data.lines[key])
            try:
                obj = model.model_validate(item)
            except ValidationError as exc:
                for err in exc.errors():
                    where = ".".join(str(p) for p in err["loc"])
                    name = item.get("id", "?") if isinstance(item, dict) else "?"
                    message = f"{kind} '{name}': {where + ': ' if where else ''}{_plain(err)}"
                    self.error("schema", message, path, line_of(item, err["loc"], line), (kind, str(name)))
                continue
            parsed.append(obj)
            object_id = str(getattr(obj, "id", ""))
            if (kind, object_id) not in self.locations:
                self.locations[(kind, object_id)] = (self.rel(path), line)
                for key_path, key_line in _key_lines(item, object_id):
                    self.locations[(kind, key_path)] = (self.rel(path), key_line)
        return parsed

    def index(self, objects: Iterable[M], kind: str, files: list[Path]) -> dict[str, M]:
        out: dict[str, M] = {}
        for obj in objects:
            object_id = str(vars(obj)["id"])
            if object_id in out:
                first = Location(*self.locations[(kind, object_id)])
                self.issues.append(Issue(Level.ERROR, "duplicate-id",
                                         f"{kind} id '{object_id}' is declared more than once (first at {first})",
                                         self.second_location(object_id, files, first), owner=(kind, object_id)))
                continue
            out[object_id] = obj
        return out

    def second_location(self, object_id: str, files: list[Path], first: Location) -> Location:
        for path in files:
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                here = Location(self.rel(path), number)
                if text.strip().lstrip("- ").strip() in (f"id: {object_id}", f"id: '{object_id}'") and here != first:
                    return here
        return first


def _key_lines(node: Any, prefix: str) -> Iterator[tuple[str, int]]:
    """Every key path below ``node`` with its line: ``id.computation.filters.0.column`` → 12."""
    if isinstance(node, LineMap):
        for key, value in node.items():
            yield f"{prefix}.{key}", node.lines[key]
            yield from _key_lines(value, f"{prefix}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, LineMap):
                yield f"{prefix}.{index}", value.line
            yield from _key_lines(value, f"{prefix}.{index}")


def _plain(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling)"
    if err["type"] == "missing":
        return "required key missing"
    return str(err["msg"])


def read_registry(root: Path) -> Registry:
    """Read every YAML file under ``root``. Parse problems are kept in ``parse_issues``, never raised."""
    reader = _Reader(root)
    city_data = reader.read(root / "city.yaml") if (root / "city.yaml").exists() else None
    city = City(name="Unnamed city")
    if city_data is None:
        reader.error("missing-file", "city.yaml is missing", root / "city.yaml", 1)
    else:
        try:
            city = City.model_validate(city_data)
        except ValidationError as exc:
            for err in exc.errors():
                reader.error("schema", f"city: {'.'.join(map(str, err['loc']))}: {_plain(err)}",
                             root / "city.yaml", line_of(city_data, err["loc"]))
    sections: dict[str, list[Any]] = {}
    for file_name, (key, kind, model) in SECTIONS.items():
        path = root / file_name
        if not path.exists():
            reader.error("missing-file", f"{file_name} is missing", path, 1)
            sections[key] = []
            continue
        sections[key] = reader.models(path, key, model, kind)
    metric_list: list[MetricSpec] = []
    metric_files = sorted((root / MEASURES_DIR).rglob("*.yaml")) if (root / MEASURES_DIR).is_dir() else []
    for path in metric_files:
        metric_list += reader.models(path, "metrics", MetricSpec, "metric")
    for source in sections["sources"]:
        if isinstance(source, SourceSpec) and source.load:
            source.load.place_in(root)
    for geography in city.geographies.values():
        geography.place_in(root)
    return Registry(
        root=root,
        city=city,
        pillars=reader.index(sections["pillars"], "pillar", [root / "pillars.yaml"]),
        goals=reader.index(sections["goals"], "goal", [root / "goals.yaml"]),
        agencies=reader.index(sections["agencies"], "agency", [root / "agencies.yaml"]),
        services=reader.index(sections["services"], "service", [root / "services.yaml"]),
        sources=reader.index(sections["sources"], "source", [root / "sources.yaml"]),
        metrics=reader.index(metric_list, "metric", metric_files),
        locations=reader.locations,
        parse_issues=tuple(reader.issues),
    )
