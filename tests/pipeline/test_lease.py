"""The scheduler's lease: the store refuses a stale fencing token, and a new leader abandons the old one's runs."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Table, func, insert, select, text

from data.db import get_engine
from data.lease import LeaseLost, take_lease
from data.models import MetricValue, RefreshRun, RunStatus
from metrics.registry import Registry
from pipeline.refresh import RunResult, refresh_all, refresh_metric
from tests.helpers import at, put_events

VALUES = MetricValue.__table__  # type: ignore[attr-defined]
RUNS = RefreshRun.__table__  # type: ignore[attr-defined]


def new_leader() -> int:
    with get_engine().begin() as conn:
        return take_lease(conn, "test:1")


def count(table: Table) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_each_leader_takes_the_next_lease_and_a_stale_one_records_nothing(database: str,
                                                                          test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01")}])
    assert new_leader() == 1
    assert refresh_metric(test_registry, "events_count", lease=1).status == RunStatus.SUCCESS
    assert new_leader() == 2
    before = count(VALUES), count(RUNS)
    with pytest.raises(LeaseLost, match="lease 1 is stale"):
        refresh_metric(test_registry, "closed_on_time", lease=1)
    assert (count(VALUES), count(RUNS)) == before
    assert refresh_metric(test_registry, "closed_on_time", lease=2).status == RunStatus.SUCCESS
    assert refresh_metric(test_registry, "closed_on_time").status == RunStatus.SUCCESS  # by hand: no lease
    with get_engine().connect() as conn:
        assert conn.execute(select(RUNS.c.lease).order_by(RUNS.c.id)).scalars().all() == [1, 2, None]


def test_a_scheduled_batch_with_a_stale_lease_records_nothing_and_stops(database: str,
                                                                         test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01")}])
    new_leader()
    new_leader()
    with pytest.raises(LeaseLost, match="lease 1 is stale"):
        refresh_all(test_registry, trigger="scheduler", lease=1)
    assert (count(VALUES), count(RUNS)) == (0, 0)
    assert {r.status for r in refresh_all(test_registry, trigger="scheduler", lease=2)} == {RunStatus.SUCCESS}


def test_a_new_leader_abandons_the_old_leaders_unfinished_runs_only(database: str) -> None:
    new_leader()
    with get_engine().begin() as conn:
        for lease in (1, None):
            conn.execute(insert(RUNS).values(metric_id="events_count", trigger="scheduler", runner="x:1",
                                             started_at=func.now(), status=RunStatus.RUNNING, rows_read=0,
                                             rows_written=0, rows_unchanged=0, lease=lease))
    new_leader()
    with get_engine().connect() as conn:
        runs = conn.execute(select(RUNS.c.lease, RUNS.c.status, RUNS.c.finished_at).order_by(RUNS.c.id)).all()
    assert [(r.lease, r.status, r.finished_at is not None) for r in runs] == [
        (1, RunStatus.ABANDONED, True), (None, RunStatus.RUNNING, False)]


def test_a_run_whose_lease_goes_stale_while_it_computes_writes_nothing(database: str,
                                                                       test_registry: Registry) -> None:
    if not database.startswith("postgresql"):
        pytest.skip("holds a table lock to pause the run half-way")
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01")}])
    lease = new_leader()
    outcome: list[RunResult | Exception] = []

    def scheduled_run() -> None:
        try:
            outcome.append(refresh_metric(test_registry, "events_count", lease=lease))
        except Exception as exc:
            outcome.append(exc)

    with get_engine().connect() as lock:  # the run is recorded, then waits on its source
        lock.execute(text("LOCK TABLE src_events IN ACCESS EXCLUSIVE MODE"))
        worker = threading.Thread(target=scheduled_run)
        worker.start()
        deadline = time.monotonic() + 10
        while not count(RUNS) and time.monotonic() < deadline:
            time.sleep(0.05)
        new_leader()
        lock.rollback()
    worker.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], LeaseLost)
    assert count(VALUES) == 0
    with get_engine().connect() as conn:
        assert conn.execute(select(RUNS.c.status)).scalars().all() == [RunStatus.ABANDONED]
