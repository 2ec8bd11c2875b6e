"""The registry to publish: validated, with every object that has an error of its own set aside (and what
depends on it), so one bad metric or source never stops the others. Only a broken file or ``city.yaml``
stops everything."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TypeVar

from metrics.issues import Issue, RegistryError
from metrics.registry import Registry, read_registry
from metrics.validation import validate_registry

T = TypeVar("T")


def load_registry(root: Path) -> Registry:
    """Read, validate and set aside; raise :class:`RegistryError` only for problems no single object owns."""
    return publishable(read_registry(root))


def publishable(registry: Registry) -> Registry:
    """``registry`` without the objects that have blocking issues, recorded in ``set_aside``.

    Setting an object aside can break what refers to it (a source's metrics): those are set aside in turn,
    with an issue that says why.
    """
    issues = validate_registry(registry)
    while blocking := [i for i in issues if i.blocks]:
        whole_file = [i for i in blocking if i.owner is None]
        if whole_file:
            raise RegistryError(whole_file)
        smaller = _without(registry, blocking)
        if _size(smaller) == _size(registry) and smaller.parse_issues == registry.parse_issues:
            raise RegistryError(blocking)  # nothing left to set aside: never loop
        registry = smaller
        issues = validate_registry(registry)
    return registry


def _without(registry: Registry, blocking: list[Issue]) -> Registry:
    owners = {i.owner for i in blocking}

    def kept(kind: str, objects: dict[str, T]) -> dict[str, T]:
        return {key: obj for key, obj in objects.items() if (kind, key) not in owners}

    return dataclasses.replace(
        registry, pillars=kept("pillar", registry.pillars), goals=kept("goal", registry.goals),
        agencies=kept("agency", registry.agencies), services=kept("service", registry.services),
        sources=kept("source", registry.sources), metrics=kept("metric", registry.metrics),
        parse_issues=tuple(i for i in registry.parse_issues if not i.blocks),
        set_aside=(*registry.set_aside, *blocking))


def _size(registry: Registry) -> int:
    return (len(registry.pillars) + len(registry.goals) + len(registry.agencies) + len(registry.services)
            + len(registry.sources) + len(registry.metrics))
