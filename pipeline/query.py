"""The one grouped SQL query per metric, run in the source database: month buckets × geographies.

Coarser grains (quarters, years, fiscal periods) and the citywide total are rolled up from these month
rows by :mod:`pipeline.compute`; mean and ratio travel as sums and counts so the roll-up stays exact.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Select, and_, case, cast, func, literal, select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table

from metrics.aggregations import Part
from metrics.columns import LINE, filter_value
from metrics.spec import CitywideMethod, Filter, FilterOp, MetricSpec, SourceSpec

MONTH = "month_start"
CITY_ROW = "is_city"
REPORTED_KEY = "reported_key"


def month_bucket(dialect: str, col: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "sqlite":
        # SQLite keeps dates and times as ISO-8601 text (SQLAlchemy's format): the month is its first 7
        # characters, which is several times cheaper than parsing each value with strftime().
        return func.substr(col, 1, 7).concat("-01")
    return cast(func.date_trunc("month", col), Date)


def _days_between(dialect: str, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def _condition(source: SourceSpec, table: Table, f: Filter) -> ColumnElement[bool]:
    col = table.c[f.column]
    other = table.c[f.other_column] if f.other_column else None
    spec = source.column(f.column)
    value = filter_value(spec, f.value) if spec is not None else f.value
    operand: Any = other if other is not None else value
    match f.op:
        case FilterOp.EQ:
            return col == operand
        case FilterOp.NE:
            return col != operand
        case FilterOp.IN:
            return col.in_(list(value))
        case FilterOp.NOT_IN:
            return col.not_in(list(value))
        case FilterOp.LT:
            return col < operand
        case FilterOp.LE:
            return col <= operand
        case FilterOp.GT:
            return col > operand
        case FilterOp.GE:
            return col >= operand
        case FilterOp.IS_NULL:
            return col.is_(None)
        case FilterOp.NOT_NULL:
            return col.is_not(None)


def all_of(source: SourceSpec, table: Table, filters: tuple[Filter, ...]) -> ColumnElement[bool]:
    return and_(true(), *(_condition(source, table, f) for f in filters))


def computed_query(metric: MetricSpec, source: SourceSpec, table: Table, dialect: str) -> Select[Any]:
    """``SELECT month_start, <geography columns>, <aggregates> … GROUP BY month_start, <geography columns>``.

    The aggregates are the kind's parts, one column each, named by the part; a kind that keeps readings
    (``latest``) returns ``value, at`` (the latest row of each group), plus ``weight`` or ``is_city`` when the
    citywide value is a weighted mean of the areas or the city's own rows.
    """
    c = metric.computation
    kind = metric.kind
    assert kind is not None
    time = table.c[source.time_column]
    month = month_bucket(dialect, time).label(MONTH)
    geographies = query_geographies(metric)
    geos = [table.c[source.geographies[g]].label(g) for g in geographies]
    where = and_(time.is_not(None), all_of(source, table, c.filters))
    value = value_expression(metric, table, dialect)
    if kind.readings:
        assert value is not None
        extra: list[ColumnElement[Any]] = []
        groups = [month, *geos]
        if c.citywide and c.citywide.method is CitywideMethod.WEIGHTED and c.citywide.weight_column:
            extra.append(table.c[c.citywide.weight_column].label("weight"))
        if c.citywide and c.citywide.method is CitywideMethod.ROWS:
            city_row = case((all_of(source, table, c.citywide.filters), 1), else_=0).label(CITY_ROW)
            extra.append(city_row)
            groups.append(city_row)
        # Every row that ties for the latest moment of its group is kept: ties are combined in Python.
        rank = func.rank().over(partition_by=groups, order_by=time.desc()).label("rank")
        ranked = select(month, *geos, value.label("value"), time.label("at"), *extra, rank).where(where).subquery()
        return select(ranked.c[MONTH], *(ranked.c[g] for g in geographies), ranked.c.value, ranked.c.at,
                      *(ranked.c[e.name] for e in extra)).where(ranked.c.rank == 1)
    aggregates = [part_aggregate(part, source, table, metric, value).label(part) for part in kind.parts]
    group = [month, *geos]
    return select(*group, *aggregates).where(where).group_by(*group)


def value_expression(metric: MetricSpec, table: Table, dialect: str) -> ColumnElement[Any] | None:
    """What the metric adds up or keeps: days between two columns, a column, or nothing (a count)."""
    c = metric.computation
    if c.days_between:
        return _days_between(dialect, table.c[c.days_between[0]], table.c[c.days_between[1]])
    return table.c[c.value_column] if c.value_column else None


def part_aggregate(part: Part, source: SourceSpec, table: Table, metric: MetricSpec,
                   value: ColumnElement[Any] | None, keeps: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
    """One partial aggregate in SQL, over the rows the metric's filters keep: the query's WHERE keeps them, or,
    in a query shared with other metrics, ``keeps`` inside the aggregate."""
    match part:
        case Part.ROWS:
            return func.count() if keeps is None else func.sum(case((keeps, 1), else_=0))
        case Part.NUMERATOR_ROWS:
            counted = all_of(source, table, metric.computation.numerator_filters)
            return func.sum(case((counted if keeps is None else and_(keeps, counted), 1), else_=0))
        case Part.VALUE_SUM:
            assert value is not None
            return func.sum(value if keeps is None else case((keeps, value)))
        case Part.VALUE_COUNT:
            assert value is not None
            return func.count(value if keeps is None else case((keeps, value)))


def query_geographies(metric: MetricSpec) -> list[str]:
    """The geography columns the query groups by: the metric's, and the areas that make up a latest's city."""
    areas = metric.citywide_areas
    return [*metric.geographies, *([areas] if areas and areas not in metric.geographies else [])]


def coverage_query(source: SourceSpec, table: Table) -> Select[Any]:
    """The earliest and the latest moment in the source's time column: where its data begins and ends."""
    return select(func.min(table.c[source.time_column]), func.max(table.c[source.time_column]))


def reported_query(metric: MetricSpec, source: SourceSpec, table: Table) -> Select[Any]:
    """The reported figures of one measure: ``grain, period_start, value, numerator, denominator, note``, the file
    line, and one column per geography of the source (all empty on the city's own rows), in file order (a line
    holding several periods in period order)."""
    layout = source.reported
    assert layout is not None
    return _reported(source, table).where(table.c[layout.key_column] == metric.computation.key)


def reported_batch_query(keys: list[Any], source: SourceSpec, table: Table) -> Select[Any]:
    """The reported figures of the measures with ``keys``, as ``reported_query``'s, each with its key
    (``REPORTED_KEY``)."""
    layout = source.reported
    assert layout is not None
    key = table.c[layout.key_column]
    return _reported(source, table).add_columns(key.label(REPORTED_KEY)).where(key.in_(keys))


def _reported(source: SourceSpec, table: Table) -> Select[Any]:
    layout = source.reported
    assert layout is not None

    def optional(column: str | None, label: str) -> ColumnElement[Any]:
        return (table.c[column] if column else literal(None)).label(label)

    return (select(table.c[layout.grain_column].label("grain"), table.c[source.time_column].label("period_start"),
                   table.c[layout.value_column].label("value"), optional(layout.numerator_column, "numerator"),
                   optional(layout.denominator_column, "denominator"), optional(layout.note_column, "note"),
                   table.c[LINE].label("line"),
                   *(table.c[column].label(geography) for geography, column in source.geographies.items()))
            .order_by(table.c[LINE], table.c[layout.grain_column], table.c[source.time_column],
                      *(table.c[column] for column in source.geographies.values())))
