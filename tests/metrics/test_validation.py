"""The validator: every problem reported with file and line; the shipped registry passes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from data.config import PROJECT_ROOT
from metrics.issues import Level, RegistryError
from metrics.publishable import load_registry
from metrics.registry import read_registry
from metrics.validation import validate_registry
from tests.conftest import FIXTURES

METRICS_FILE = "measures/AG1-public-works.yaml"


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "registry", tmp_path / "registry")
    return tmp_path / "registry"


def edit(root: Path, file: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in a registry file; return the 1-based line of the change."""
    path = root / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def blocking(root: Path) -> list[str]:
    return [str(i) for i in validate_registry(read_registry(root)) if i.blocks]


def test_fixture_registry_is_valid(registry_copy: Path) -> None:
    assert blocking(registry_copy) == []


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    definition: Number of events", "    definiton: Number of events", "definiton: unknown key"),
    ("    agency: AG1\n", "    agency: AG9\n", "unknown agency 'AG9'"),
    ('    goal: "2.1"\n', '    goal: "7.7"\n', "unknown goal '7.7'"),
    ("    services: [SV1]\n", "    services: [SV7]\n", "unknown service 'SV7'"),
    ("source: events, aggregation: count}", "source: evnts, aggregation: count}", "source 'evnts' is not declared"),
    ("    geographies: [district]\n", "    geographies: [ward]\n", "has no geography 'ward'"),
    ("    direction: decrease\n", "    direction: downward\n", "direction: Input should be"),
    ("      - {fiscal_year: 2026, value: 0.9}", "      - {fiscal_year: 2026, value: 90}", "percent target 90"),
    ("{column: closed_at, op: le, other_column: due_at}", "{column: closed, op: le, other_column: due_at}",
     "has no column 'closed'"),
])
def test_typo_is_reported_with_file_and_line(registry_copy: Path, old: str, new: str, message: str) -> None:
    line = edit(registry_copy, METRICS_FILE, old, new)
    matching = [p for p in blocking(registry_copy) if message in p]
    assert len(matching) == 1, blocking(registry_copy)
    assert f"{METRICS_FILE}:{line}: error" in matching[0]


def test_target_without_direction(registry_copy: Path) -> None:
    line = edit(registry_copy, METRICS_FILE, "    direction: decrease\n", "    direction: none\n")
    problems = blocking(registry_copy)
    assert any("target-without-direction" in p and f":{line}:" in p for p in problems), problems


def test_duplicate_id_points_at_the_second_declaration(registry_copy: Path) -> None:
    line = edit(registry_copy, "measures/AG2-police.yaml", "  - id: patrol_spend", "  - id: events_count")
    problems = blocking(registry_copy)
    assert any(f"measures/AG2-police.yaml:{line}:" in p and "declared more than once" in p for p in problems)


def test_broken_yaml_is_reported_with_its_line(registry_copy: Path) -> None:
    edit(registry_copy, "pillars.yaml", '  - {id: "2"', '  - {id: "2"]')
    assert any("pillars.yaml:3:" in p and "cannot parse YAML" in p for p in blocking(registry_copy))


def test_an_invalid_metric_is_set_aside_and_the_rest_publishes(registry_copy: Path) -> None:
    line = edit(registry_copy, METRICS_FILE, "    agency: AG1\n", "    agency: AG9\n")
    everything = read_registry(registry_copy)
    registry = load_registry(registry_copy)
    [aside] = [i for i in registry.set_aside if i.rule == "unknown-agency"]
    assert aside.owner is not None and aside.owner[0] == "metric"
    assert str(aside.location).endswith(f"{METRICS_FILE}:{line}")
    assert set(registry.metrics) == set(everything.metrics) - {aside.owner[1]}


def test_a_filter_on_a_missing_column_sets_aside_that_metric_only(registry_copy: Path) -> None:
    edit(registry_copy, METRICS_FILE, "{column: closed_at, op: not_null}", "{column: closd_at, op: not_null}")
    registry = load_registry(registry_copy)
    assert [(i.owner, i.rule) for i in registry.set_aside] == [(("metric", "closed_on_time"), "unknown-column")]
    assert len(registry.metrics) == len(read_registry(registry_copy).metrics) - 1


def test_an_invalid_source_sets_aside_its_metrics_and_says_why(registry_copy: Path) -> None:
    edit(registry_copy, "sources.yaml", "time_column: happened_at", "time_column: happend_at")
    registry = load_registry(registry_copy)
    assert registry.sources == {} and registry.metrics == {}
    reasons = {i.owner: i.message for i in registry.set_aside}
    assert reasons[("source", "events")] == "source 'events': column 'happend_at' is not declared"
    assert all("source 'events' is set aside for its own errors" in m for o, m in reasons.items() if o[0] == "metric")


def test_a_schema_error_in_one_metric_sets_aside_that_metric(registry_copy: Path) -> None:
    edit(registry_copy, METRICS_FILE, "    agency: AG1\n", "    agency: AG1\n    colour: blue\n")
    registry = load_registry(registry_copy)
    assert {i.rule for i in registry.set_aside} == {"schema"} and registry.metrics


def test_only_a_broken_file_stops_everything(registry_copy: Path) -> None:
    edit(registry_copy, "pillars.yaml", '  - {id: "2"', '  - {id: "2"]')
    with pytest.raises(RegistryError, match="pillars.yaml:3: .*cannot parse YAML"):
        load_registry(registry_copy)


def test_cli_exit_code_and_output(registry_copy: Path) -> None:
    line = edit(registry_copy, METRICS_FILE, "    agency: AG1\n", "    agency: AG9\n")
    run = subprocess.run([sys.executable, "-m", "pipeline", "--registry", str(registry_copy), "validate"],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    assert run.returncode == 1
    assert f"{METRICS_FILE}:{line}: error[unknown-agency]" in run.stdout


def test_shipped_registry_passes_and_lists_the_citys_own_errors(baltimore_registry: object) -> None:
    issues = validate_registry(read_registry(PROJECT_ROOT / "cities" / "baltimore"))
    assert [str(i) for i in issues if i.blocks] == []
    acknowledged = {(i.metric_id, i.rule) for i in issues if i.acknowledged}
    assert ("pm_84", "percent-scale") in acknowledged  # baseline 74 stored as a percent, not a fraction
    assert ("pm_87", "goal-pillar-mismatch") in acknowledged
    assert ("pm_39", "format-missing") in acknowledged
    assert ("pm_699", "maintain-without-band") in acknowledged
    assert sum(1 for _, rule in acknowledged if rule == "target-without-direction") == 64
    warnings = {(i.metric_id, i.rule) for i in issues if i.level is Level.WARNING}
    assert ("pm_173", "targets-against-direction") in warnings  # the README's example of a wrong direction


def test_cli_passes_on_shipped_registry() -> None:
    run = subprocess.run([sys.executable, "-m", "pipeline", "validate"], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, check=False)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "0 error(s), 102 acknowledged data-entry error(s)" in run.stdout


LATEST_BY_DISTRICT = """
  - id: latest_amount
    title: Latest amount
    definition: The latest amount reported in each district.
    measure_type: output
    agency: AG2
    format: {fmt}
    frequency: monthly
    visibility: internal
    geographies: [district]
    computation:
      kind: computed
      source: events
      aggregation: latest
      value_column: amount
{citywide}"""


@pytest.mark.parametrize(("fmt", "citywide", "message"), [
    ("count", "", "the latest reading of source 'events' is one area's, not the city's: declare computation.citywide"),
    ("percent", "      citywide: {method: sum}\n", "areas' percent do not add up to the city's"),
    ("rate", "      citywide: {method: weighted}\n", "method 'weighted' needs a weight_column"),
    ("rate", "      citywide: {method: weighted, weight_column: pop}\n", "has no column 'pop'"),
    ("rate", "      citywide: {method: rows}\n", "method 'rows' needs filters"),
])
def test_latest_of_several_areas_needs_an_honest_citywide_value(registry_copy: Path, fmt: str, citywide: str,
                                                               message: str) -> None:
    path = registry_copy / "measures/AG2-police.yaml"
    path.write_text(path.read_text() + LATEST_BY_DISTRICT.format(fmt=fmt, citywide=citywide))
    key = "      citywide:" if citywide else "    computation:"
    line = max(n for n, text in enumerate(path.read_text().splitlines(), start=1) if text.startswith(key))
    [problem] = [p for p in blocking(registry_copy) if message in p]
    assert f"measures/AG2-police.yaml:{line}: error[" in problem


def test_quality_rules_are_tuned_in_the_registry_and_typos_are_refused(registry_copy: Path) -> None:
    edit(registry_copy, METRICS_FILE, "    visibility: public\n    geographies: [district]\n    computation: {kind: "
         "computed, source: events, aggregation: count}", "    visibility: public\n    geographies: [district]\n"
         "    quality: {outlier: {k: 8}, not_reported: false}\n    computation: {kind: computed, source: events, "
         "aggregation: count}")
    assert blocking(registry_copy) == []
    tuned = read_registry(registry_copy).metrics["events_count"].quality
    assert tuned.outlier.k == 8 and not tuned.not_reported.enabled and tuned.scale.enabled
    line = edit(registry_copy, METRICS_FILE, "quality: {outlier: {k: 8}", "quality: {outlier: {kk: 8}")
    assert any(f"{METRICS_FILE}:{line}: error[schema]" in p and "quality.outlier.kk: unknown key" in p
               for p in blocking(registry_copy))


def test_an_unfinished_quote_points_at_its_line_not_the_end_of_the_file(registry_copy: Path) -> None:
    path = registry_copy / "pillars.yaml"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, '  - {id: "9", name: "unterminated}', "", ""]))
    [problem] = [p for p in blocking(registry_copy) if "cannot parse YAML" in p]
    assert f"pillars.yaml:{len(lines) + 1}:" in problem and "while scanning a quoted scalar" in problem


def test_a_source_with_a_schema_error_sets_aside_its_metrics_and_says_why(registry_copy: Path) -> None:
    sources = registry_copy / "sources.yaml"
    sources.write_text(sources.read_text() + "    load: {file: events.csv, encoding: utf-9}\n")
    registry = load_registry(registry_copy)
    messages = [i.message for i in registry.set_aside]
    assert any("unknown encoding 'utf-9'" in m for m in messages)
    assert all("set aside for its own errors" in m for i, m in zip(registry.set_aside, messages, strict=True)
               if i.owner and i.owner[0] == "metric")


def test_a_coverage_that_starts_after_it_ends_is_refused_with_its_line(registry_copy: Path) -> None:
    sources = registry_copy / "sources.yaml"
    line = len(sources.read_text().splitlines()) + 1
    sources.write_text(sources.read_text() + "    coverage: {start: 2020-01-01, end: 2019-12-31}\n")
    problems = [str(i) for i in load_registry(registry_copy).set_aside]
    assert any(f"sources.yaml:{line}:" in p and "start (2020-01-01) is after end (2019-12-31)" in p
               for p in problems), problems


@pytest.mark.parametrize(("old", "new", "message"), [
    ("value_column: amount}", "value_column: event_id}",
     "column 'event_id' of source 'events' holds text values: value_column needs integer or float values"),
    ("source: events, aggregation: sum", "source: event, aggregation: sum",
     "source 'event' is not declared in sources.yaml (did you mean 'events'?)"),
])
def test_a_column_of_the_wrong_type_or_a_misspelt_source_is_refused_with_its_line(
        registry_copy: Path, old: str, new: str, message: str) -> None:
    """Summing a text column gave zeros on SQLite and failed on PostgreSQL: the registry refuses it first."""
    line = edit(registry_copy, "measures/AG2-police.yaml", old, new)
    matching = [p for p in blocking(registry_copy) if message in p]
    assert len(matching) == 1, blocking(registry_copy)
    assert f"measures/AG2-police.yaml:{line}: error" in matching[0]
