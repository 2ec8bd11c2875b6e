"""Refresh: compute each metric in its source database, pass it through the quality gate, store the values
with history, record the run.

Each metric is one transaction: a refresh killed half-way leaves every metric either fully refreshed or
untouched, and running it again is harmless (unchanged values are not rewritten). A failing metric is
recorded with its error and keeps its last good values; the others go on. What the gate flagged is
summarised in the run's warnings. A scheduled run carries the scheduler's lease, which the store checks
before recording the run and before writing its values (``data.lease``).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select, update

from data.db import get_engine, session_scope
from data.errors import describe
from data.lease import LeaseLost, fence
from data.models import RefreshRun, RunStatus, utcnow
from data.sources import source_engine
from data.store import write_values
from metrics.quality import Coverage, check, summary
from metrics.registry import Registry
from pipeline.compute import compute_values, source_coverage

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
                   coverage: dict[str, Coverage] | None = None, lease: int | None = None) -> RunResult:
    """Refresh one metric and record the run. Never raises for a failure of the metric itself.

    ``coverage`` keeps each source's coverage across a batch, so it is read once per source. With a
    ``lease`` (the scheduler's), ``LeaseLost`` is raised, and nothing written, once another scheduler has
    taken over.
    """
    metric = registry.metrics[metric_id]
    with session_scope() as session:
        if lease is not None:
            fence(session.connection(), lease)
        run = RefreshRun(metric_id=metric_id, trigger=trigger, runner=runner_id(), lease=lease)
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        source = registry.sources[metric.computation.source]
        fy_start = registry.city.fiscal_year_start_month
        known = {} if coverage is None else coverage
        with source_engine(source).connect() as conn:
            rows = compute_values(metric, source, conn, fy_start)
            if source.id not in known:
                known[source.id] = source_coverage(source, conn)
        rows = check(metric, rows, known[source.id], fy_start)
        warnings = summary(rows, fy_start)
        with get_engine().begin() as conn:
            if lease is not None:
                fence(conn, lease)
            written = write_values(conn, metric_id, rows, run_id=run_id)
            conn.execute(update(RUN).where(RUN.c.id == run_id).values(
                status=RunStatus.SUCCESS, finished_at=utcnow(), rows_read=len(rows),
                rows_written=written.inserted + written.restated, rows_unchanged=written.unchanged,
                warnings="\n".join(warnings) or None))
        return RunResult(metric_id, RunStatus.SUCCESS, len(rows), written.inserted + written.restated,
                         warnings=tuple(warnings))
    except LeaseLost:
        raise  # the new leader has marked the run abandoned
    except Exception as exc:
        error = describe(exc)  # staff read it on data health; the statement and traceback go to the log only
        logger.warning("refresh of %s failed: %s", metric_id, error, exc_info=True)
        with get_engine().begin() as conn:
            conn.execute(update(RUN).where(RUN.c.id == run_id, RUN.c.status == RunStatus.RUNNING).values(
                status=RunStatus.FAILED, finished_at=utcnow(), error=error))
        return RunResult(metric_id, RunStatus.FAILED, error=error)


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
                progress: Callable[[int, int, RunResult], None] | None = None) -> list[RunResult]:
    """Refresh the given metrics (default: all), one after the other; returns each run's result."""
    abandon_dead_runs()
    ids = list(metric_ids) if metric_ids is not None else sorted(registry.metrics)
    results = []
    coverage: dict[str, Coverage] = {}
    for index, metric_id in enumerate(ids, start=1):
        result = refresh_metric(registry, metric_id, trigger=trigger, coverage=coverage)
        results.append(result)
        if progress:
            progress(index, len(ids), result)
    return results
