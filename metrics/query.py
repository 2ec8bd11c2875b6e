"""The one grouped SQL query per metric, run in the source database: month buckets × geographies.

Coarser grains (quarters, years, fiscal periods) and the citywide total are rolled up from these month
rows by :mod:`metrics.compute`; mean and ratio travel as sums and counts so the roll-up stays exact.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Select, and_, case, cast, func, literal, select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table

from metrics.spec import Aggregation, Filter, FilterOp, MetricSpec, SourceSpec

MONTH = "month_start"


def _month_bucket(dialect: str, col: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "sqlite":
        # SQLite keeps dates and times as ISO-8601 text (SQLAlchemy's format): the month is its first 7
        # characters, which is several times cheaper than parsing each value with strftime().
        return func.substr(col, 1, 7).concat("-01")
    return cast(func.date_trunc("month", col), Date)


def _days_between(dialect: str, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def _condition(table: Table, f: Filter) -> ColumnElement[bool]:
    col = table.c[f.column]
    other = table.c[f.other_column] if f.other_column else None
    operand: Any = other if other is not None else f.value
    match f.op:
        case FilterOp.EQ:
            return col == operand
        case FilterOp.NE:
            return col != operand
        case FilterOp.IN:
            return col.in_(list(f.value))
        case FilterOp.NOT_IN:
            return col.not_in(list(f.value))
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


def _all(table: Table, filters: tuple[Filter, ...]) -> ColumnElement[bool]:
    return and_(true(), *(_condition(table, f) for f in filters))


def computed_query(metric: MetricSpec, source: SourceSpec, table: Table, dialect: str) -> Select[Any]:
    """``SELECT month_start, <geography columns>, <aggregates> … GROUP BY month_start, <geography columns>``.

    Output columns by aggregation: count / cumulative_count → ``n``; sum / mean → ``total, n``;
    ratio → ``numerator, denominator``; latest → ``value, at`` (the latest row of each group).
    """
    c = metric.computation
    time = table.c[source.time_column]
    month = _month_bucket(dialect, time).label(MONTH)
    geos = [table.c[source.geographies[g]].label(g) for g in metric.geographies]
    where = and_(time.is_not(None), _all(table, c.filters))
    value: ColumnElement[Any] | None = None
    if c.days_between:
        value = _days_between(dialect, table.c[c.days_between[0]], table.c[c.days_between[1]])
    elif c.value_column:
        value = table.c[c.value_column]
    if c.aggregation is Aggregation.LATEST:
        assert value is not None
        rank = func.row_number().over(partition_by=[month, *geos], order_by=time.desc()).label("rank")
        ranked = select(month, *geos, value.label("value"), time.label("at"), rank).where(where).subquery()
        return select(ranked.c[MONTH], *(ranked.c[g] for g in metric.geographies),
                      ranked.c.value, ranked.c.at).where(ranked.c.rank == 1)
    aggregates: list[ColumnElement[Any]]
    if c.aggregation in (Aggregation.COUNT, Aggregation.CUMULATIVE_COUNT):
        aggregates = [func.count().label("n")]
    elif c.aggregation in (Aggregation.SUM, Aggregation.MEAN):
        assert value is not None
        aggregates = [func.sum(value).label("total"), func.count(value).label("n")]
    else:
        hit = case((_all(table, c.numerator_filters), 1), else_=0)
        aggregates = [func.sum(hit).label("numerator"), func.count().label("denominator")]
    group = [month, *geos]
    return select(*group, *aggregates).where(where).group_by(*group)


def reported_query(metric: MetricSpec, source: SourceSpec, table: Table) -> Select[Any]:
    """The reported figures of one measure: ``grain, period_start, value, note``."""
    layout = source.reported
    assert layout is not None
    note = table.c[layout.note_column] if layout.note_column else literal(None)
    return (select(table.c[layout.grain_column].label("grain"), table.c[source.time_column].label("period_start"),
                   table.c[layout.value_column].label("value"), note.label("note"))
            .where(table.c[layout.key_column] == metric.computation.key))



