"""A refresh's outcome for each metric, and its recording: the metric's checked values written with its run record
done, many metrics to a transaction, or its run recorded failed with the error in words."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, update

from data.db import get_engine
from data.errors import describe
from data.lease import LeaseLost, fence
from data.models import RefreshRun, RunStatus, utcnow
from data.store import LastRun, WriteResult, write_many
from metrics.quality import Coverage, check, summary
from metrics.spec import MetricSpec, SourceSpec
from metrics.values import ValueRow
from pipeline.compute import inputs_digest, values_from_rows

logger = logging.getLogger(__name__)

RUN = RefreshRun.__table__  # type: ignore[attr-defined]


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunResult:
    """How one metric's refresh ended: what it read and wrote, or its error in words."""

    metric_id: str
    status: RunStatus
    rows: int = 0
    written: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What a refresh computed for one metric, to be written and recorded: its checked values, or none when its
    inputs are its last successful run's (``LastRun``: nothing to roll up, check or write)."""

    metric_id: str
    digest: str | None
    rows: list[ValueRow] | None
    rows_read: int
    warnings: tuple[str, ...]
    started: dt.datetime
    run_id: int | None = None  # its run, recorded running while its own query ran

    @property
    def size(self) -> int:
        return 1 + len(self.rows or ())


def outcome(metric: MetricSpec, source: SourceSpec, fetched: Sequence[Any], coverage: Coverage, fy_start: int,
            last: LastRun | None, started: dt.datetime, rows_fingerprint: str | None = None) -> Outcome:
    """Roll the metric's query rows up and pass them through the quality gate, unless they are the inputs of its
    last successful run (``rows_fingerprint``: of what the rows were taken from, see ``pipeline.batch.Fetched``)."""
    digest = inputs_digest(metric, fetched, coverage, fy_start, rows_fingerprint)
    if last is not None and digest == last.digest:
        return Outcome(metric.id, digest, None, last.rows_read, tuple(last.warning_lines), started)
    rows = check(metric, values_from_rows(metric, source, fetched, fy_start), coverage, fy_start)
    return Outcome(metric.id, digest, rows, len(rows), tuple(summary(rows, fy_start)), started)


def record(outcomes: Sequence[Outcome], trigger: str, lease: int | None) -> list[RunResult]:
    """Write the metrics' new values and record their runs done, all in one transaction."""
    by_id = {found.metric_id: found for found in outcomes}
    with get_engine().begin() as conn:
        if lease is not None:
            fence(conn, lease)

        def runs(written: dict[str, WriteResult]) -> dict[str, int]:
            done = {metric_id: _done(found, written.get(metric_id)) for metric_id, found in by_id.items()}
            ids = {found.metric_id: found.run_id for found in outcomes if found.run_id is not None}
            if ids:
                conn.execute(update(RUN).where(RUN.c.id == bindparam("run")),  # SET: the other keys
                             [{"run": run_id, **done[metric_id]} for metric_id, run_id in ids.items()])
            new = [new_run(metric_id, trigger, lease, by_id[metric_id].started) | fields
                   for metric_id, fields in done.items() if metric_id not in ids]
            if new:
                ids |= dict(conn.execute(insert(RUN).returning(RUN.c.metric_id, RUN.c.id), new).all())
            return ids

        written = write_many(conn, {found.metric_id: found.rows for found in outcomes if found.rows is not None},
                             runs)
    return [RunResult(found.metric_id, RunStatus.SUCCESS, found.rows_read, _changed(written.get(found.metric_id)),
                      warnings=found.warnings) for found in outcomes]


def _done(found: Outcome, written: WriteResult | None) -> dict[str, Any]:
    """A run's record once its values are written (``written`` none: it had nothing to write)."""
    return {"status": RunStatus.SUCCESS, "finished_at": utcnow(), "rows_read": found.rows_read,
            "rows_written": _changed(written), "rows_unchanged": found.rows_read if written is None
            else written.unchanged, "warnings": "\n".join(found.warnings) or None, "digest": found.digest}


def _changed(written: WriteResult | None) -> int:
    return 0 if written is None else written.inserted + written.restated


def record_each(outcomes: Sequence[Outcome], trigger: str, lease: int | None) -> list[RunResult]:
    """``record`` the outcomes together or, if that fails, each on its own: one metric's failure to be written is
    recorded as its own and never loses the others' values."""
    try:
        return record(outcomes, trigger, lease)
    except LeaseLost:
        raise
    except Exception as exc:
        if len(outcomes) == 1:
            return [failed(outcomes[0].metric_id, trigger, lease, outcomes[0].started, exc, outcomes[0].run_id)]
        logger.warning("writing %d metrics together failed (%s); each is written on its own", len(outcomes),
                       describe(exc))
        return [result for found in outcomes for result in record_each([found], trigger, lease)]


def failed(metric_id: str, trigger: str, lease: int | None, started: dt.datetime, exc: Exception,
           run_id: int | None = None) -> RunResult:
    """Record the metric's run failed, with the error in words; its last good values stay."""
    error = describe(exc)  # staff read it on data health; the statement and traceback go to the log only
    logger.warning("refresh of %s failed: %s", metric_id, error, exc_info=exc)
    fields = {"status": RunStatus.FAILED, "finished_at": utcnow(), "error": error}
    with get_engine().begin() as conn:
        if run_id is None:
            conn.execute(insert(RUN).values(new_run(metric_id, trigger, lease, started) | fields))
        else:
            conn.execute(update(RUN).where(RUN.c.id == run_id, RUN.c.status == RunStatus.RUNNING).values(fields))
    return RunResult(metric_id, RunStatus.FAILED, error=error)


def new_run(metric_id: str, trigger: str, lease: int | None, started: dt.datetime) -> dict[str, Any]:
    """A run record, started and running; an outcome updates it."""
    return {"metric_id": metric_id, "trigger": trigger, "runner": runner_id(), "lease": lease, "started_at": started,
            "status": RunStatus.RUNNING, "rows_read": 0, "rows_written": 0, "rows_unchanged": 0}


