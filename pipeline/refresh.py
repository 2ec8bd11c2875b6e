"""Refresh: compute each metric in its source database, pass it through the quality gate, store the values
with history, record the run.

A metric's values and its run record are written in one transaction (a batched refresh writes many metrics to a
transaction, ``pipeline.outcomes``): a refresh killed half-way leaves every metric either fully refreshed or
untouched, and running it again is harmless (unchanged values are not rewritten). A metric that runs its own
query is recorded running while the query runs; a batched one, its rows already fetched, is recorded in the
transaction that writes its values (a run record fewer to write, and to leave behind if killed). A failing metric is
recorded with its error and keeps its last good values; the others go on. What the gate flagged is
summarised in the run's warnings. A scheduled run carries the scheduler's lease, which the store checks
before recording the run and before writing its values (``data.lease``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import logging
import os
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import insert, select, update

from data.db import get_engine
from data.errors import describe
from data.lease import LeaseLost, fence
from data.models import RefreshRun, RunStatus, utcnow
from data.sources import source_engine
from data.store import LastRun, unchanged_since_last_run
from metrics.quality import Coverage
from metrics.registry import Registry
from metrics.spec import SourceSpec
from pipeline.batch import Batch, Fetched, batch_rows, batches
from pipeline.compute import query_rows, source_coverage
from pipeline.outcomes import Outcome, RunResult, failed, new_run, outcome, record, record_each, runner_id

__all__ = ["RunResult", "abandon_dead_runs", "refresh_all", "refresh_metric", "runner_id"]

logger = logging.getLogger(__name__)

RUN = RefreshRun.__table__  # type: ignore[attr-defined]


WRITE_AT_ONCE = 20_000  # values (and runs) written by one transaction of a batched refresh


def refresh_metric(registry: Registry, metric_id: str, *, trigger: str = "cli",
                   coverage: dict[str, Coverage] | None = None, lease: int | None = None,
                   last: LastRun | None = None) -> RunResult:
    """Refresh one metric with its own query and record the run. Never raises for a failure of the metric itself.

    ``coverage`` keeps each source's coverage across a refresh, so it is read once per source; ``last`` is the
    metric's last successful run if no value was written since (``data.store.unchanged_since_last_run``):
    computed from the same inputs, nothing is rolled up, checked, read or written. With a ``lease`` (the
    scheduler's), ``LeaseLost`` is raised, and nothing written, once another scheduler has taken over.
    """
    metric = registry.metrics[metric_id]
    source = registry.sources[metric.computation.source]
    known = {} if coverage is None else coverage
    started = utcnow()
    with get_engine().begin() as conn:  # its query may take a while: the run shows as running meanwhile
        if lease is not None:
            fence(conn, lease)
        run_id = conn.execute(insert(RUN).values(new_run(metric_id, trigger, lease, started))
                              .returning(RUN.c.id)).scalar_one()
    try:
        with source_engine(source).connect() as conn:
            fetched = query_rows(metric, source, conn)
            if source.id not in known:
                known[source.id] = source_coverage(source, conn)
        found = outcome(metric, source, fetched, known[source.id], registry.city.fiscal_year_start_month, last,
                        started)
        return record([dataclasses.replace(found, run_id=run_id)], trigger, lease)[0]
    except LeaseLost:
        raise  # the new leader has marked the run abandoned
    except Exception as exc:
        return failed(metric_id, trigger, lease, started, exc, run_id)


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
    recorded on its own and never holds the others back. Up to ``workers`` batch queries run in their databases
    while the batch before is rolled up; its metrics are written ``WRITE_AT_ONCE`` values to a transaction, by
    writers that work while the next are rolled up (``workers`` of them on PostgreSQL, one on SQLite). The rest run
    their own queries, as many at once. With the scheduler's ``lease``, ``LeaseLost`` is raised once another
    scheduler has taken over.
    """
    abandon_dead_runs()
    ids = list(metric_ids) if metric_ids is not None else sorted(registry.metrics)
    chosen = [registry.metrics[metric_id] for metric_id in ids]
    results: list[RunResult] = []
    coverage: dict[str, Coverage] = {}
    done, lease_lost = threading.Lock(), threading.Event()
    fy_start = registry.city.fiscal_year_start_month
    with get_engine().connect() as conn:
        unchanged = unchanged_since_last_run(conn, ids)

    def report(result: RunResult) -> None:
        with done:
            results.append(result)
            if progress:
                progress(len(results), len(ids), result)

    found = list(batches(chosen, registry.sources))
    batched = {metric.id for batch in found for metric in batch.metrics}
    alone = [metric_id for metric_id in ids if metric_id not in batched]
    # PostgreSQL takes writers side by side (one sends its values while another's are stored); SQLite one at a time
    writers = max(1, workers) if get_engine().dialect.name == "postgresql" else 1
    with _collector_paused(), ThreadPoolExecutor(max_workers=writers, thread_name_prefix="refresh-write") as writer:
        writing: deque[Future[list[RunResult]]] = deque()

        def collect() -> None:
            for result in writing.popleft().result():
                report(result)

        def send(job: Callable[..., list[RunResult]], *args: Any) -> None:
            writing.append(writer.submit(job, *args, trigger, lease))
            # report what is written; wait while more groups are queued than the writers can take (values held)
            while writing and (len(writing) > writers + 1 or writing[0].done()):
                collect()

        for batch, fetched in _prefetched(found, workers):
            if fetched is not None and batch.source.id not in coverage:
                if (read := _coverage(batch.source)) is not None:
                    coverage[batch.source.id] = read
            known = coverage.get(batch.source.id)
            if fetched is None or known is None:
                alone += [metric.id for metric in batch.metrics]  # each its own query, which records what failed
                continue
            ready: list[Outcome] = []
            size = 0
            for metric in batch.metrics:
                started = utcnow()
                try:
                    ready.append(outcome(metric, batch.source, fetched.rows[metric.id], known, fy_start,
                                         unchanged.get(metric.id), started, fetched.fingerprints.get(metric.id)))
                    size += ready[-1].size
                except Exception as exc:
                    send(_failed_job(metric.id, started, exc))
                if size >= WRITE_AT_ONCE:
                    send(record_each, ready)
                    ready, size = [], 0
            if ready:
                send(record_each, ready)
        while writing:
            collect()

    def run(metric_id: str) -> None:
        if lease_lost.is_set():
            return  # the metrics queued behind a refused one are not started
        try:
            report(refresh_metric(registry, metric_id, trigger=trigger, coverage=coverage, lease=lease,
                                  last=unchanged.get(metric_id)))
        except LeaseLost:
            lease_lost.set()
            raise

    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="refresh") as pool:
        list(pool.map(run, alone))
    order = {metric_id: position for position, metric_id in enumerate(ids)}
    return sorted(results, key=lambda result: order[result.metric_id])


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused: a batched refresh makes millions of rows and values, none of them
    in a cycle, and the collector's passes over them took a fifth of its time. What cycles the rest of the process
    makes meanwhile are collected once it resumes."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _failed_job(metric_id: str, started: dt.datetime, exc: Exception) -> Callable[[str, int | None],
                                                                                   list[RunResult]]:
    """Recording a metric's failure, as a job for the writer."""
    return lambda trigger, lease: [failed(metric_id, trigger, lease, started, exc)]


def _prefetched(found: list[Batch], workers: int) -> Iterator[tuple[Batch, Fetched | None]]:
    """Each batch with its rows, in order, the queries of up to ``workers`` batches running ahead (the database
    does that work while this process rolls up; more ahead would only hold more rows in memory)."""
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="batch-query") as pool:
        ahead: deque[tuple[Batch, Future[Fetched | None]]] = deque()
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


def _fetch_batch(batch: Batch) -> Fetched | None:
    """The batch's query rows from one query; none (each metric then runs its own query) if that query fails."""
    try:
        with source_engine(batch.source).connect() as conn:
            return batch_rows(batch, conn)
    except Exception as exc:
        logger.warning("batched query of %d metrics on source %s failed (%s); each runs its own query",
                       len(batch.metrics), batch.source.id, describe(exc), exc_info=True)
        return None
