"""Refresh: compute each metric in its source database, pass it through the quality gate, store the values
with history, record the run.

Each metric is one transaction: a refresh killed half-way leaves every metric either fully refreshed or
untouched, and running it again is harmless (unchanged values are not rewritten). A metric that runs its own
query is recorded running while the query runs; a batched one, its rows already fetched, is recorded in the
transaction that writes its values (a run record fewer to write, and to leave behind if killed). A failing metric is
recorded with its error and keeps its last good values; the others go on. What the gate flagged is
summarised in the run's warnings. A scheduled run carries the scheduler's lease, which the store checks
before recording the run and before writing its values (``data.lease``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from data.db import get_engine
from data.errors import describe
from data.lease import LeaseLost, fence
from data.models import RefreshRun, RunStatus, utcnow
from data.sources import source_engine
from data.store import LastRun, WriteResult, unchanged_since_last_run, write_values
from metrics.quality import Coverage, check, summary
from metrics.registry import Registry
from metrics.spec import SourceSpec
from metrics.values import ValueRow
from pipeline.batch import Batch, batch_rows, batches
from pipeline.compute import inputs_digest, query_rows, source_coverage, values_from_rows

logger = logging.getLogger(__name__)

RUN = RefreshRun.__table__  # type: ignore[attr-defined]


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunResult:
    metric_id: str
    status: RunStatus
    rows: int = 0
    written: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()


def refresh_metric(registry: Registry, metric_id: str, *, trigger: str = "cli",
                   coverage: dict[str, Coverage] | None = None, lease: int | None = None,
                   fetched: Sequence[Any] | None = None, digest: str | None = None,
                   last: LastRun | None = None) -> RunResult:
    """Refresh one metric and record the run. Never raises for a failure of the metric itself.

    ``coverage`` keeps each source's coverage across a batch, so it is read once per source; ``fetched`` is the
    metric's query rows when a batched query has fetched them already, ``digest`` their digest if computed (with
    the coverage already in ``coverage``); ``last`` its last successful run if no value was written since
    (``data.store.unchanged_since_last_run``): computed from the same inputs, nothing is rolled up, checked, read
    or written. With a ``lease`` (the scheduler's), ``LeaseLost`` is raised, and nothing written, once another
    scheduler has taken over.
    """
    metric = registry.metrics[metric_id]
    source = registry.sources[metric.computation.source]
    fy_start = registry.city.fiscal_year_start_month
    known = {} if coverage is None else coverage
    started, run_id = utcnow(), None
    if fetched is None:  # its own query may take a while: the run shows as running meanwhile
        with get_engine().begin() as conn:
            if lease is not None:
                fence(conn, lease)
            run_id = conn.execute(insert(RUN).values(_run(metric_id, trigger, lease, started))
                                  .returning(RUN.c.id)).scalar_one()
    try:
        if fetched is None or source.id not in known:
            with source_engine(source).connect() as conn:
                fetched = query_rows(metric, source, conn) if fetched is None else fetched
                if source.id not in known:
                    known[source.id] = source_coverage(source, conn)
        digest = digest or inputs_digest(metric, fetched, known[source.id], fy_start)
        rows: list[ValueRow] | None = None
        if last is not None and digest == last.digest:
            count, warnings = last.rows_read, last.warning_lines
        else:
            rows = check(metric, values_from_rows(metric, source, fetched, fy_start), known[source.id], fy_start)
            count, warnings = len(rows), summary(rows, fy_start)
        with get_engine().begin() as conn:  # the values and the run's outcome, together
            if lease is not None:
                fence(conn, lease)
            this_run = run_id if run_id is not None else conn.execute(
                insert(RUN).values(_run(metric_id, trigger, lease, started)).returning(RUN.c.id)).scalar_one()
            written = WriteResult(0, 0, count) if rows is None else write_values(conn, metric_id, rows,
                                                                                 run_id=this_run)
            conn.execute(update(RUN).where(RUN.c.id == this_run).values(
                status=RunStatus.SUCCESS, finished_at=utcnow(), rows_read=count,
                rows_written=written.inserted + written.restated, rows_unchanged=written.unchanged,
                warnings="\n".join(warnings) or None, digest=digest))
        return RunResult(metric_id, RunStatus.SUCCESS, count, written.inserted + written.restated,
                         warnings=tuple(warnings))
    except LeaseLost:
        raise  # the new leader has marked the run abandoned
    except Exception as exc:
        error = describe(exc)  # staff read it on data health; the statement and traceback go to the log only
        logger.warning("refresh of %s failed: %s", metric_id, error, exc_info=True)
        failed = {"status": RunStatus.FAILED, "finished_at": utcnow(), "error": error}
        with get_engine().begin() as conn:
            if run_id is None:
                conn.execute(insert(RUN).values(_run(metric_id, trigger, lease, started) | failed))
            else:
                conn.execute(update(RUN).where(RUN.c.id == run_id, RUN.c.status == RunStatus.RUNNING).values(failed))
        return RunResult(metric_id, RunStatus.FAILED, error=error)


def _run(metric_id: str, trigger: str, lease: int | None, started: dt.datetime) -> dict[str, Any]:
    """A run record, started and running; an outcome updates it."""
    return {"metric_id": metric_id, "trigger": trigger, "runner": runner_id(), "lease": lease, "started_at": started,
            "status": RunStatus.RUNNING, "rows_read": 0, "rows_written": 0, "rows_unchanged": 0}


def _record_unchanged(unchanged: list[tuple[str, str, LastRun]], trigger: str, lease: int | None) -> list[RunResult]:
    """Runs from the same inputs as each metric's last successful one (metric, digest, last run), recorded done
    with the last run's counts and warnings, all in one transaction: nothing was rolled up, read or written."""
    if not unchanged:
        return []
    now = utcnow()
    with get_engine().begin() as conn:
        if lease is not None:
            fence(conn, lease)
        conn.execute(insert(RUN), [
            _run(metric_id, trigger, lease, now) | {
                "finished_at": now, "status": RunStatus.SUCCESS, "rows_read": last.rows_read,
                "rows_unchanged": last.rows_read, "warnings": last.warnings, "digest": digest, "error": None}
            for metric_id, digest, last in unchanged])
    return [RunResult(metric_id, RunStatus.SUCCESS, last.rows_read, 0,
                      warnings=tuple(last.warning_lines)) for metric_id, _, last in unchanged]


def abandon_dead_runs() -> int:
    """Mark runs left 'running' by a process of this host that no longer exists. Returns how many."""
    host = socket.gethostname()
    with get_engine().begin() as conn:
        running = conn.execute(select(RUN.c.id, RUN.c.runner).where(RUN.c.status == RunStatus.RUNNING)).all()
        dead = [r.id for r in running if r.runner.startswith(f"{host}:") and not _alive(r.runner)]
        if dead:
            conn.execute(update(RUN).where(RUN.c.id.in_(dead)).values(status=RunStatus.ABANDONED,
                                                                      finished_at=utcnow()))
    return len(dead)


def _alive(runner: str) -> bool:
    try:
        os.kill(int(runner.rsplit(":", 1)[1]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def refresh_all(registry: Registry, metric_ids: Iterable[str] | None = None, *, trigger: str = "cli",
                progress: Callable[[int, int, RunResult], None] | None = None,
                workers: int = 2, lease: int | None = None) -> list[RunResult]:
    """Refresh the given metrics (default: all); returns each run's result, in the order of ``metric_ids``.

    Computed metrics of one source that group by the same places are computed by one query per batch
    (``pipeline.batch``); if a batch's query fails, each of its metrics runs its own, so a failing metric is
    recorded on its own and never holds the others back. Up to ``workers`` batch queries run in their
    databases while the batch before is rolled up and written, and on PostgreSQL as many metrics are refreshed at
    once (one is written while the next is rolled up). The rest run their own queries. With the scheduler's
    ``lease``, ``LeaseLost`` is raised once another scheduler has taken over (see ``refresh_metric``).
    """
    abandon_dead_runs()
    ids = list(metric_ids) if metric_ids is not None else sorted(registry.metrics)
    chosen = [registry.metrics[metric_id] for metric_id in ids]
    results: list[RunResult] = []
    coverage: dict[str, Coverage] = {}
    done, lease_lost = threading.Lock(), threading.Event()
    same: list[tuple[str, str, LastRun]] = []  # metrics whose inputs are the last run's
    fy_start = registry.city.fiscal_year_start_month

    with get_engine().connect() as conn:
        unchanged = unchanged_since_last_run(conn, ids)
    # PostgreSQL writes one metric's values while this process rolls up the next; SQLite takes one writer at a time
    writers = max(1, workers) if get_engine().dialect.name == "postgresql" else 1

    def run(metric_id: str, fetched: Sequence[Any] | None = None) -> None:
        if lease_lost.is_set():
            return  # the metrics queued behind a refused one are not started
        metric, last = registry.metrics[metric_id], unchanged.get(metric_id)
        known = coverage.get(metric.computation.source)
        digest = inputs_digest(metric, fetched, known, fy_start) if fetched is not None and known else None
        if last is not None and digest is not None and digest == last.digest:
            with done:
                same.append((metric_id, digest, last))  # recorded with the batch's others, in one transaction
            return
        try:
            result = refresh_metric(registry, metric_id, trigger=trigger, coverage=coverage, fetched=fetched,
                                    digest=digest, last=last, lease=lease)
        except LeaseLost:
            lease_lost.set()
            raise
        report(result)

    def report(result: RunResult) -> None:
        with done:
            results.append(result)
            if progress:
                progress(len(results), len(ids), result)

    batched: set[str] = set()
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="refresh") as pool:
        for batch, fetched in _prefetched(list(batches(chosen, registry.sources)), workers):
            members = [metric.id for metric in batch.metrics]
            if fetched and batch.source.id not in coverage and (known := _coverage(batch.source)) is not None:
                coverage[batch.source.id] = known
            list(pool.map(run, members, [fetched.get(metric_id) for metric_id in members]))
            batched.update(members)
            for result in _record_unchanged(same, trigger, lease):
                report(result)
            same.clear()
        list(pool.map(run, [metric_id for metric_id in ids if metric_id not in batched]))
    order = {metric_id: position for position, metric_id in enumerate(ids)}
    return sorted(results, key=lambda result: order[result.metric_id])


def _prefetched(found: list[Batch], workers: int) -> Iterator[tuple[Batch, dict[str, list[dict[str, Any]]]]]:
    """Each batch with its rows, in order, the queries of up to ``workers`` batches running ahead (the database
    does that work while this process rolls up; more ahead would only hold more rows in memory)."""
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="batch-query") as pool:
        ahead: deque[tuple[Batch, Future[dict[str, list[dict[str, Any]]]]]] = deque()
        for batch in found:
            ahead.append((batch, pool.submit(_fetch_batch, batch)))
            if len(ahead) > max(1, workers):
                done, rows = ahead.popleft()
                yield done, rows.result()
        while ahead:
            done, rows = ahead.popleft()
            yield done, rows.result()


def _coverage(source: SourceSpec) -> Coverage | None:
    """What the source covers; none if it cannot be read (each metric then records that failure itself)."""
    try:
        with source_engine(source).connect() as conn:
            return source_coverage(source, conn)
    except Exception as exc:
        logger.warning("coverage of source %s unreadable (%s)", source.id, describe(exc), exc_info=True)
        return None


def _fetch_batch(batch: Batch) -> dict[str, list[dict[str, Any]]]:
    """The batch's query rows from one query; none (each metric then runs its own query) if that query fails."""
    try:
        with source_engine(batch.source).connect() as conn:
            return batch_rows(batch, conn)
    except Exception as exc:
        logger.warning("batched query of %d metrics on source %s failed (%s); each runs its own query",
                       len(batch.metrics), batch.source.id, describe(exc), exc_info=True)
        return {}
