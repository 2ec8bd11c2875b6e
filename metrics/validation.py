"""Registry rules: each returns the issues it finds, with file and line; ``validate_registry`` runs them all."""

from __future__ import annotations

import dataclasses
import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from metrics.aggregations import KINDS
from metrics.columns import filter_value
from metrics.issues import Issue, Level, Location
from metrics.registry import Registry
from metrics.spec import (
    CitywideMethod,
    ColumnType,
    ComputationKind,
    Direction,
    FilterOp,
    FormatType,
    MetricSpec,
    SourceSpec,
)
from metrics.year_to_date import nests_in_fiscal_years

NUMBERS = (ColumnType.INTEGER, ColumnType.FLOAT)
MOMENTS = (ColumnType.DATE, ColumnType.DATETIME)

PLACEHOLDERS = ("definition pending", "formula pending", "source pending", "nothing provided")

Rule = Callable[[Registry], Iterator[Issue]]


def _issue(registry: Registry, level: Level, rule: str, message: str, metric: MetricSpec, key: str) -> Issue:
    return Issue(level, rule, f"metric '{metric.id}': {message}", registry.where("metric", metric.id, key),
                 owner=("metric", metric.id))


def references(registry: Registry) -> Iterator[Issue]:
    """Pillar, goal, agency and services named by a metric exist, and the goal belongs to the pillar."""
    for m in registry.metrics.values():
        if m.pillar and m.pillar not in registry.pillars:
            yield _issue(registry, Level.ERROR, "unknown-pillar", f"unknown pillar '{m.pillar}'", m, "pillar")
        if m.goal and m.goal not in registry.goals:
            yield _issue(registry, Level.ERROR, "unknown-goal", f"unknown goal '{m.goal}'", m, "goal")
        elif m.goal and m.pillar and registry.goals[m.goal].pillar != m.pillar:
            goal_pillar = registry.goals[m.goal].pillar
            yield _issue(registry, Level.ERROR, "goal-pillar-mismatch",
                         f"goal '{m.goal}' belongs to pillar '{goal_pillar}', not to pillar '{m.pillar}'", m, "goal")
        if m.agency not in registry.agencies:
            yield _issue(registry, Level.ERROR, "unknown-agency", f"unknown agency '{m.agency}'", m, "agency")
        for service_id in m.services:
            service = registry.services.get(service_id)
            if service is None:
                yield _issue(registry, Level.ERROR, "unknown-service", f"unknown service '{service_id}'", m, "services")
            elif service.agency != m.agency:
                yield _issue(registry, Level.ERROR, "service-agency-mismatch",
                             f"service '{service_id}' belongs to agency '{service.agency}', not '{m.agency}'",
                             m, "services")
    for goal in registry.goals.values():
        if goal.pillar not in registry.pillars:
            yield Issue(Level.ERROR, "unknown-pillar", f"goal '{goal.id}': unknown pillar '{goal.pillar}'",
                        registry.where("goal", goal.id, "pillar"), owner=("goal", goal.id))
    districts = registry.city.districts
    if districts and districts not in registry.city.geographies:
        yield Issue(Level.ERROR, "unknown-geography", f"city: districts: '{districts}' is not one of the city's "
                    f"geographies ({', '.join(registry.city.geographies) or 'none declared'})",
                    Location(str(registry.root / "city.yaml"), 1))
    for service in registry.services.values():
        if service.agency not in registry.agencies:
            yield Issue(Level.ERROR, "unknown-agency", f"service '{service.id}': unknown agency '{service.agency}'",
                        registry.where("service", service.id, "agency"), owner=("service", service.id))


def computations(registry: Registry) -> Iterator[Issue]:
    """Each metric's source, columns and aggregation make a query that can run."""
    for m in registry.metrics.values():
        source = registry.sources.get(m.computation.source)
        if source is None:
            aside = any(i.owner == ("source", m.computation.source) and i.blocks
                        for i in (*registry.set_aside, *registry.parse_issues))
            why = "is set aside for its own errors" if aside else \
                f"is not declared in sources.yaml{did_you_mean(m.computation.source, registry.sources)}"
            yield _issue(registry, Level.ERROR, "unknown-source", f"source '{m.computation.source}' {why}", m,
                         "computation")
            continue
        yield from _computation_issues(registry, m, source)
        for geography in m.geographies:
            if geography not in source.geographies:
                yield _issue(registry, Level.ERROR, "unknown-geography",
                             f"source '{source.id}' has no geography '{geography}' "
                             f"(it has: {', '.join(source.geographies) or 'none'})", m, "geographies")


def _computation_issues(registry: Registry, m: MetricSpec, source: SourceSpec) -> Iterator[Issue]:
    c = m.computation

    def bad(message: str) -> Issue:
        return _issue(registry, Level.ERROR, "computation", message, m, "computation")

    if c.kind is ComputationKind.REPORTED:
        if source.reported is None:
            yield bad(f"source '{source.id}' is not a reported-figures table")
        if not c.key:
            yield bad("a reported metric needs 'key' (its key in the reported table)")
        return
    if c.aggregation is None:
        yield bad("a computed metric needs 'aggregation'")
        return
    for key, column in _column_references(m):
        if source.column(column) is None:
            closest = did_you_mean(column, (c.name for c in source.columns))
            yield _issue(registry, Level.ERROR, "unknown-column",
                         f"source '{source.id}' has no column '{column}'{closest}", m, key)
    kind = KINDS[c.aggregation]
    for key, column, wanted in _typed_references(m, kind.needs_value):
        if (spec := source.column(column)) is not None and spec.type not in wanted:
            yield _issue(registry, Level.ERROR, "column-type",
                         f"column '{column}' of source '{source.id}' holds {spec.type.value} values: "
                         f"{key.rsplit('.', 1)[-1]} needs {' or '.join(t.value for t in wanted)} values", m, key)
    if kind.needs_value and not (c.value_column or c.days_between):
        yield bad(f"aggregation '{c.aggregation}' needs 'value_column' or 'days_between'")
    if kind.needs_numerator and not c.numerator_filters:
        yield bad(f"aggregation '{c.aggregation}' needs 'numerator_filters'")
    if not kind.needs_numerator and c.numerator_filters:
        yield bad(f"aggregation '{c.aggregation}' has no numerator: 'numerator_filters' would be ignored "
                  "(use 'ratio', or move them to 'filters')")
    if not kind.needs_value and (c.value_column or c.days_between):
        yield _issue(registry, Level.WARNING, "computation", f"aggregation '{c.aggregation}' reads no value: "
                     f"'{'value_column' if c.value_column else 'days_between'}' is ignored", m, "computation")
    citywide = c.citywide
    filters = (*c.filters, *c.numerator_filters, *(citywide.filters if citywide else ()))
    for f in filters:
        if f.op in (FilterOp.IN, FilterOp.NOT_IN) and not isinstance(f.value, list):
            yield bad(f"filter on '{f.column}' with op '{f.op}' needs a list value")
        elif (spec := source.column(f.column)) is not None and not f.other_column:
            try:
                filter_value(spec, f.value)
            except (ValueError, TypeError):
                yield bad(f"filter on '{f.column}': value {f.value!r} is not of the column's type ({spec.type})")
    yield from _citywide_issues(registry, m, source)


def _typed_references(m: MetricSpec, reads_values: bool) -> Iterator[tuple[str, str, tuple[ColumnType, ...]]]:
    """(key path, column, the types it may have) for the columns a computation reads as numbers or moments: summing
    text would fail on one database and give zeros on another."""
    c = m.computation
    if reads_values and c.value_column:
        yield "computation.value_column", c.value_column, NUMBERS
    if reads_values and c.days_between:
        for column in c.days_between:
            yield "computation.days_between", column, MOMENTS
    if c.citywide and c.citywide.weight_column:
        yield "computation.citywide.weight_column", c.citywide.weight_column, NUMBERS


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest of ``names`` to a misspelt ``name``, if one is close."""
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _citywide_issues(registry: Registry, m: MetricSpec, source: SourceSpec) -> Iterator[Issue]:
    """A latest reading per area has no honest citywide value unless the registry says how to get one."""
    citywide = m.computation.citywide

    def bad(message: str) -> Issue:
        return _issue(registry, Level.ERROR, "citywide", message, m, "computation.citywide" if citywide
                      else "computation")

    if not (m.kind and m.kind.readings):
        if citywide is not None:
            yield bad("'citywide' applies to aggregation 'latest' only (the others add up or pool exactly)")
        return
    if citywide is None:
        if m.geographies or source.geographies:
            yield bad(f"the latest reading of source '{source.id}' is one area's, not the city's: declare "
                      "computation.citywide (method: sum for counts and money, weighted with a weight_column for "
                      "rates, or rows with filters picking the source's citywide rows)")
        return
    method = citywide.method
    if method is CitywideMethod.SUM and m.format not in (FormatType.COUNT, FormatType.CURRENCY):
        yield bad(f"areas' {m.format.value if m.format else 'values'} do not add up to the city's: use method "
                  "weighted (with a weight_column) or rows")
    if method is CitywideMethod.WEIGHTED and not citywide.weight_column:
        yield bad("method 'weighted' needs a weight_column (the weight of each area's reading, e.g. population)")
    if method is CitywideMethod.ROWS and not citywide.filters:
        yield bad("method 'rows' needs filters that pick the source's citywide rows")
    if method is not CitywideMethod.ROWS and not m.citywide_areas:
        yield bad(f"method '{method.value}' needs the areas that make up the city: list them in 'geographies' "
                  "or name one in citywide.geography")
    elif m.citywide_areas and m.citywide_areas not in source.geographies:
        yield bad(f"source '{source.id}' has no geography '{m.citywide_areas}'")


def _column_references(m: MetricSpec) -> Iterator[tuple[str, str]]:
    """(key path, column) for every column a computation names."""
    c = m.computation
    for group in ("filters", "numerator_filters"):
        for index, f in enumerate(getattr(c, group)):
            yield f"computation.{group}.{index}.column", f.column
            if f.other_column:
                yield f"computation.{group}.{index}.other_column", f.other_column
    if c.value_column:
        yield "computation.value_column", c.value_column
    for column in c.days_between or ():
        yield "computation.days_between", column
    if c.citywide:
        if c.citywide.weight_column:
            yield "computation.citywide.weight_column", c.citywide.weight_column
        for index, f in enumerate(c.citywide.filters):
            yield f"computation.citywide.filters.{index}.column", f.column


def scales(registry: Registry) -> Iterator[Issue]:
    """Percent values are 0–1 fractions: a target, band or baseline above 1 is on the wrong scale."""
    for m in registry.metrics.values():
        if m.format is None:
            yield _issue(registry, Level.ERROR, "format-missing",
                         "no format (count, percent, currency, rate or days)", m, "title")
        if m.format is not FormatType.PERCENT:
            continue
        for index, t in enumerate(m.targets):
            if not 0 <= t.value <= 1:
                period = f"FY{t.fiscal_year}" + (f" Q{t.quarter}" if t.quarter else "")
                yield _issue(registry, Level.ERROR, "percent-scale",
                             f"percent target {t.value:g} for {period} is outside 0–1 "
                             f"(percent is stored as a fraction: did you mean {t.value / 100:g}?)",
                             m, f"targets.{index}")
        if m.baseline and not 0 <= m.baseline.value <= 1:
            yield _issue(registry, Level.ERROR, "percent-scale",
                         f"percent baseline {m.baseline.value:g} is outside 0–1 "
                         f"(percent is stored as a fraction: did you mean {m.baseline.value / 100:g}?)", m, "baseline")
        if m.band and not (0 <= m.band.lower <= 1 and 0 <= m.band.upper <= 1):
            yield _issue(registry, Level.ERROR, "percent-scale", "percent band outside 0–1", m, "band")


def directions(registry: Registry) -> Iterator[Issue]:
    """A target needs a direction; a band needs 'maintain'; targets should not move against the direction."""
    for m in registry.metrics.values():
        if m.targets and m.direction is Direction.NONE:
            yield _issue(registry, Level.ERROR, "target-without-direction",
                         "has targets but no direction (increase, decrease or maintain)", m, "direction")
        if m.direction is Direction.MAINTAIN and m.band is None:
            yield _issue(registry, Level.ERROR, "maintain-without-band",
                         "direction 'maintain' needs a band (lower, upper)", m, "direction")
        if m.band and m.band.lower > m.band.upper:
            yield _issue(registry, Level.ERROR, "band-order", "band lower bound is above its upper bound", m, "band")
        seen = Counter((t.fiscal_year, t.quarter) for t in m.targets)
        for (year, quarter), count in seen.items():
            if count > 1:
                period = f"FY{year}" + (f" Q{quarter}" if quarter else "")
                yield _issue(registry, Level.ERROR, "duplicate-target", f"{count} targets for {period}", m, "targets")
        yield from _targets_against_direction(registry, m)
        fy_start = registry.city.fiscal_year_start_month
        if m.targets and m.grains and not any(nests_in_fiscal_years(g, fy_start) for g in m.grains):
            yield _issue(registry, Level.WARNING, "calendar-targets",
                         "targets are set per fiscal year, and this metric is measured only in calendar years: they "
                         "are never used for status (add month or fiscal grains to judge it)", m, "targets")


def _targets_against_direction(registry: Registry, m: MetricSpec) -> Iterator[Issue]:
    """Warn when every year-on-year change of the annual target goes the wrong way (a likely direction typo)."""
    if m.direction not in (Direction.INCREASE, Direction.DECREASE):
        return
    annual = sorted((t.fiscal_year, t.value) for t in m.targets if t.quarter is None)
    changes = [(y0, v0, y1, v1) for (y0, v0), (y1, v1) in zip(annual, annual[1:], strict=False)
               if y1 == y0 + 1 and v1 != v0]
    sign = 1 if m.direction is Direction.INCREASE else -1
    if changes and all(sign * (v1 - v0) < 0 for _, v0, _, v1 in changes):
        y0, v0, y1, v1 = changes[-1]
        better = "higher" if sign > 0 else "lower"
        yield _issue(registry, Level.WARNING, "targets-against-direction",
                     f"every target change goes the wrong way (e.g. {v0:g} in FY{y0} to {v1:g} in FY{y1}) "
                     f"although {better} is better: check the direction", m, "direction")


def completeness(registry: Registry) -> Iterator[Issue]:
    """Public metrics need a real definition; titles should be unique."""
    titles = Counter(m.title.strip().lower() for m in registry.metrics.values())
    for m in registry.metrics.values():
        if m.definition.strip().lower().rstrip(".") in PLACEHOLDERS or len(m.definition.strip()) < 10:
            yield _issue(registry, Level.WARNING, "definition-missing",
                         f"definition is a placeholder ('{m.definition.strip()}')", m, "definition")
        if titles[m.title.strip().lower()] > 1:
            yield _issue(registry, Level.WARNING, "duplicate-title", f"title '{m.title}' is used by another metric",
                         m, "title")


def sources(registry: Registry) -> Iterator[Issue]:
    """A source's time, geography and layout columns are declared, and its geographies are the city's."""
    for s in registry.sources.values():
        declared = {c.name for c in s.columns}
        named = [s.time_column, *s.geographies.values()]
        if s.reported:
            named += s.reported.named_columns
        if s.data_call and (s.reported is None or s.connection != "default"):
            yield Issue(Level.ERROR, "data-call", f"source '{s.id}': a data call source is a reported-figures table "
                        "('reported') in the value store's own database (no 'connection')",
                        registry.where("source", s.id, "data_call"), owner=("source", s.id))
        for column in named:
            if column not in declared:
                yield Issue(Level.ERROR, "unknown-column", f"source '{s.id}': column '{column}' is not declared",
                            registry.where("source", s.id, "columns"), owner=("source", s.id))
        for geography in s.geographies:
            if geography not in registry.city.geographies:
                yield Issue(Level.ERROR, "unknown-geography",
                            f"source '{s.id}': geography '{geography}' is not declared in city.yaml",
                            registry.where("source", s.id, "geographies"), owner=("source", s.id))
        for spec in s.columns:
            if spec.locate:
                yield from _locate_issues(registry, s, spec.name, spec.locate.geography, spec.locate.point)
        if s.load and not s.load.path.exists():
            yield Issue(Level.WARNING, "missing-file", f"source '{s.id}': load file '{s.load.file}' not found",
                        registry.where("source", s.id, "load"))


def _locate_issues(registry: Registry, s: SourceSpec, name: str, geography: str, point: str) -> Iterator[Issue]:
    def bad(message: str) -> Issue:
        return Issue(Level.ERROR, "locate", f"source '{s.id}': column '{name}': {message}",
                     registry.where("source", s.id, "columns"), owner=("source", s.id))

    spec = registry.city.geographies.get(geography)
    if spec is None or spec.boundaries is None:
        yield bad(f"geography '{geography}' has no boundaries in city.yaml to place points in")
    elif not spec.boundaries_path or not spec.boundaries_path.exists():
        yield bad(f"the boundaries of '{geography}' ({spec.boundaries}) are not found")
    point_column = s.column(point)
    if point_column is None or point_column.locate is not None:
        yield bad(f"point column '{point}' is not a declared column of the file")


DEFAULT_RULES: tuple[Rule, ...] = (references, computations, scales, directions, completeness, sources)


def validate_registry(registry: Registry, rules: tuple[Rule, ...] = DEFAULT_RULES) -> list[Issue]:
    """Every issue of the registry: parse problems first, then each rule's, acknowledgements applied."""
    issues = list(registry.parse_issues)
    for rule in rules:
        for issue in rule(registry):
            issues.append(_acknowledge(registry, issue))
    return issues


def _acknowledge(registry: Registry, issue: Issue) -> Issue:
    metric = registry.metrics.get(issue.metric_id or "")
    note = next((a.note for a in metric.acknowledged if a.rule == issue.rule), None) if metric else None
    return dataclasses.replace(issue, acknowledged=note) if note else issue
