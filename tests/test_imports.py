"""The import graph: no two files import each other, even through others (the layer contracts are import-linter's,
run by ``make test``)."""

from __future__ import annotations

import grimp

PACKAGES = ("metrics", "data", "pipeline", "dashboard", "cities")


def test_no_file_imports_one_that_imports_it_back() -> None:
    graph = grimp.build_graph(*PACKAGES)
    cycles = sorted({tuple(sorted((module, imported))) for module in graph.modules
                     for imported in graph.find_modules_directly_imported_by(module)
                     if graph.chain_exists(imported, module)})
    assert cycles == []
