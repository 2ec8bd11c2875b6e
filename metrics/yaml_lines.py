"""YAML loading that remembers the line of every mapping and key, so messages can point at the file."""

from __future__ import annotations

from typing import Any

import yaml


class LineMap(dict[str, Any]):
    """A dict parsed from YAML, with ``line`` (its own line) and ``lines`` (line of each key), 1-based."""

    line: int = 0
    lines: dict[str, int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _LineLoader(yaml.CSafeLoader):  # libyaml's parser: the same nodes and marks, about ten times faster
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineMap:  # type: ignore[override]
        mapping = LineMap()
        mapping.line = node.start_mark.line + 1
        mapping.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise DuplicateKeyError(None, None, f"duplicate key '{key}'", key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node),  # type: ignore[arg-type]
)


def load_yaml(text: str) -> Any:
    """Parse YAML text; mappings become :class:`LineMap`. Raises ``yaml.YAMLError`` with a mark."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a safe loader's subclass


def line_of(data: Any, loc: tuple[int | str, ...], default: int = 1) -> int:
    """The line of the deepest element of ``loc`` (a pydantic error location) found in ``data``."""
    line = getattr(data, "line", default) or default
    node = data
    for part in loc:
        if isinstance(node, LineMap) and part in node:
            line = node.lines.get(str(part), line)
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line
