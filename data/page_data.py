"""What pages read about every metric: its status, citywide values and last refresh, and its judgement at each
recent quarter end. Built in full once; after that, only the metrics a refresh, a review or a target decision
touched since are read and judged again, so a refresh of a few metrics, or of thousands with nothing new, costs
the pages next to nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Table, false, func, or_, select

from data.models import MetricValue, RefreshRun, RunStatus, ValueReview, aware
from data.reviews import reviewed_values
from metrics.registry import Registry
from metrics.score_history import Basis, in_hand, judged_on, quarter_ends, quarter_label
from metrics.spec import MetricSpec
from metrics.status import Assessment, assess
from metrics.values import CITY, ValueRow

RUN: Table = RefreshRun.__table__  # type: ignore[attr-defined]
REVIEW: Table = ValueReview.__table__  # type: ignore[attr-defined]
VALUE: Table = MetricValue.__table__  # type: ignore[attr-defined]
RECENT = 500  # ids this far below the highest read are read again: a lower id can commit after a higher one


@dataclass(frozen=True)
class Mark:
    """How far a table of changes (refresh runs, reviews) has been read: its highest id, the recent ids already
    read finished, and the ids still unfinished then (a run is written when it starts, and again when it ends)."""

    last_id: int = 0
    done: frozenset[int] = frozenset()
    pending: frozenset[int] = frozenset()


@dataclass(frozen=True)
class QuarterEnd:
    """Every metric judged as of a recent quarter end, with the values the store held that day (``PUBLISHED``) or,
    for a day before the store's history began, today's values of the periods then ended (``RECONSTRUCTED``)."""

    day: dt.date
    label: str
    basis: Basis
    assessments: dict[str, Assessment]


@dataclass(frozen=True)
class PageData:
    registry: Registry  # with the approved targets it was judged by
    today: dt.date
    assessments: dict[str, Assessment]
    city_values: dict[str, list[ValueRow]]
    last_success: dict[str, dt.datetime]
    last_failure: dict[str, dt.datetime]
    quarter_ends: tuple[QuarterEnd, ...]
    first_write: dt.datetime | None  # when the store's history began
    runs: Mark
    reviews: Mark


def page_data(conn: Connection, registry: Registry, today: dt.date, previous: PageData | None = None) -> PageData:
    """Page data as of now: ``previous`` brought up to date, or (without it) built in full.

    The marks are read before anything else, so a change landing during the build is read again next time."""
    runs, run_mark = _changes(conn, RUN, previous.runs if previous else None, RUN.c.status == RunStatus.RUNNING)
    reviewed, review_mark = _changes(conn, REVIEW, previous.reviews if previous else None)
    metrics = list(registry.metrics.values())
    if previous is None:
        ran: set[str] | None = None
        reread = {m.id for m in metrics}
        respecified = set(reread)
    else:
        ran = {r.metric_id for r in runs}
        reread = ({r.metric_id for r in runs if r.rows_written} | {r.metric_id for r in reviewed}
                  | {m.id for m in metrics if m.id not in previous.city_values})
        respecified = set() if previous.registry is registry else {
            m.id for m in metrics if previous.registry.metrics.get(m.id) != m}
    reread &= set(registry.metrics)
    city_values = {**(previous.city_values if previous else {}),
                   **reviewed_values(conn, sorted(reread), geography=CITY)}
    last_success = _latest_runs(conn, RunStatus.SUCCESS, ran, previous.last_success if previous else {})
    last_failure = _latest_runs(conn, RunStatus.FAILED, ran, previous.last_failure if previous else {})

    if previous is None or previous.today != today:
        judge = metrics
    else:
        flipped = {m for m in ran or () if _failing(m, last_success, last_failure)
                   != _failing(m, previous.last_success, previous.last_failure)}
        again = reread | respecified | flipped
        judge = [m for m in metrics if m.id in again]
    assessments = {**(previous.assessments if previous else {}),
                   **{m.id: assess(m, city_values[m.id], city=registry.city, today=today,
                                   last_refresh_failed=_failing(m.id, last_success, last_failure)) for m in judge}}
    first_write = previous.first_write if previous and previous.first_write else _first_write(conn)
    held = {q.day: q for q in previous.quarter_ends} if previous and previous.first_write == first_write else {}
    ends = tuple(_judged_again(conn, registry, held[day], metrics, respecified, reread, city_values) if day in held else
                 _quarter_end(conn, registry, metrics, day, city_values, first_write)
                 for day in quarter_ends(today, registry.city.fiscal_year_start_month))
    return PageData(registry, today, assessments, city_values, last_success, last_failure, ends, first_write,
                    run_mark, review_mark)


def _changes(conn: Connection, table: Table, mark: Mark | None, unfinished: ColumnElement[bool] | None = None
             ) -> tuple[list[Any], Mark]:
    """The rows of ``table`` finished since ``mark`` (``unfinished`` tells those still being written), and the mark
    after them. Without a mark, none (a full build reads everything): only where the table stands."""
    last = max(conn.execute(select(func.max(table.c.id))).scalar() or 0, mark.last_id if mark else 0)
    floor = last - RECENT
    open_rows = unfinished if unfinished is not None else false()
    wanted = [table.c.id > floor]
    if mark is not None and mark.pending:
        wanted.append(table.c.id.in_(sorted(mark.pending)))
    if mark is None and unfinished is not None:
        wanted.append(unfinished)
    rows = conn.execute(select(table, open_rows.label("unfinished")).where(or_(*wanted))).all()
    done = {r.id for r in rows if not r.unfinished}
    after = Mark(last, frozenset(i for i in done if i > floor), frozenset(r.id for r in rows if r.unfinished))
    if mark is None:
        return [], after
    return [r for r in rows if r.id in done and r.id not in mark.done], after


def _latest_runs(conn: Connection, status: RunStatus, metric_ids: Collection[str] | None,
                 known: dict[str, dt.datetime]) -> dict[str, dt.datetime]:
    """When each metric last had a run with ``status``: ``known`` with those of ``metric_ids`` read again (every
    metric's without ``metric_ids``)."""
    if metric_ids is not None and not metric_ids:
        return known
    query = select(RUN.c.metric_id, func.max(RUN.c.started_at).label("at")).where(RUN.c.status == status)
    if metric_ids is not None:
        query = query.where(RUN.c.metric_id.in_(sorted(metric_ids)))
    return {**known, **{r.metric_id: aware(r.at) for r in conn.execute(query.group_by(RUN.c.metric_id))}}


def _failing(metric_id: str, success: dict[str, dt.datetime], failure: dict[str, dt.datetime]) -> dt.datetime | None:
    """When the metric's last refresh failed, if no refresh has succeeded since."""
    failed = failure.get(metric_id)
    return failed if failed is not None and (metric_id not in success or failed > success[metric_id]) else None


def _first_write(conn: Connection) -> dt.datetime | None:
    first = conn.execute(select(func.min(VALUE.c.valid_from))).scalar()
    return aware(first) if first is not None else None


def _close(registry: Registry, day: dt.date) -> dt.datetime:
    """The end of ``day`` in the city's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(registry.city.timezone))


def _quarter_end(conn: Connection, registry: Registry, metrics: list[MetricSpec], day: dt.date,
                 current: dict[str, list[ValueRow]], first_write: dt.datetime | None) -> QuarterEnd:
    basis = Basis.PUBLISHED if first_write is not None and first_write < _close(registry, day) else \
        Basis.RECONSTRUCTED
    return QuarterEnd(day, quarter_label(day, registry.city.fiscal_year_start_month), basis,
                      judged_on(registry, metrics, _held_on(conn, registry, basis, metrics, day, current), day))


def _judged_again(conn: Connection, registry: Registry, end: QuarterEnd, metrics: list[MetricSpec],
                  respecified: set[str], reread: set[str], current: dict[str, list[ValueRow]]) -> QuarterEnd:
    """``end`` with the metrics whose definition or targets changed judged again, and, for a reconstructed day,
    those whose values changed (a published day's values are history: what the store held then)."""
    changed = respecified | reread if end.basis is Basis.RECONSTRUCTED else respecified
    again = [m for m in metrics if m.id in changed]
    if not again:
        return end
    values = _held_on(conn, registry, end.basis, again, end.day, current)
    return QuarterEnd(end.day, end.label, end.basis, {**end.assessments, **judged_on(registry, again, values,
                                                                                    end.day)})


def _held_on(conn: Connection, registry: Registry, basis: Basis, metrics: list[MetricSpec], day: dt.date,
             current: dict[str, list[ValueRow]]) -> dict[str, list[ValueRow]]:
    """The citywide values of ``metrics`` in hand on ``day``."""
    if basis is Basis.PUBLISHED:
        return reviewed_values(conn, [m.id for m in metrics], as_of=_close(registry, day), geography=CITY)
    return {m.id: in_hand(current.get(m.id, ()), day) for m in metrics}
