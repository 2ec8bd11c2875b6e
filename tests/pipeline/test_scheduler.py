"""The scheduler: jobs from the registry, and one leader per database across processes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from data.db import get_engine
from data.models import RefreshRun, RunStatus, aware, utcnow
from metrics.registry import Registry
from metrics.spec import Frequency
from pipeline.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler
from tests.helpers import at, put_events
from tests.pipeline.helpers import leader_and_standby, wait_for
from tests.tcp_proxy import TcpProxy

RUNS = RefreshRun.__table__  # type: ignore[attr-defined]


def test_jobs_refresh_a_sources_metrics_together_with_stable_ids_and_safe_options(database: str,
                                                                                  test_registry: Registry) -> None:
    scheduler = build_scheduler(test_registry)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {job_id: job.args[0] for job_id, job in jobs.items()} == {
        "refresh:events:daily": ["closed_on_time", "events_count", "patrol_spend"]}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert sorted(j.id for j in build_scheduler(test_registry).get_jobs()) == sorted(jobs)
    weekly = test_registry.metrics["patrol_spend"].model_copy(update={"frequency": Frequency.WEEKLY})
    mixed = dataclasses.replace(test_registry, metrics={**test_registry.metrics, "patrol_spend": weekly})
    assert {job.id: job.args[0] for job in build_scheduler(mixed).get_jobs()} == {
        "refresh:events:daily": ["closed_on_time", "events_count"], "refresh:events:hourly": ["patrol_spend"]}


def runners() -> set[str]:
    with get_engine().connect() as conn:
        return set(conn.execute(select(RUNS.c.runner).distinct()).scalars())


@pytest.mark.slow
def test_two_schedulers_only_one_runs_jobs_and_standby_takes_over(database: str, test_registry: Registry,
                                                                   tmp_path: Path) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01")}])
    with leader_and_standby(tmp_path) as pair:
        time.sleep(3)
        assert {r.rsplit(":", 1)[1] for r in runners()} == {str(pair.leader.pid)}
        pair.leader.send_signal(signal.SIGKILL)
        pair.leader.wait(10)
        wait_for(pair.standby_log, "Leader lock taken")
        time.sleep(2)
        assert {r.rsplit(":", 1)[1] for r in runners()} == {str(pair.leader.pid), str(pair.standby.pid)}
    assert "Scheduler stopped." in pair.standby_log.read_text()




def overlapping_runs() -> list[str]:
    """Runs of a metric that started before an earlier run of the same metric had finished (or that never did)."""
    with get_engine().connect() as conn:
        rows = conn.execute(select(RUNS).order_by(RUNS.c.metric_id, RUNS.c.started_at)).all()
    found: list[str] = []
    busy_until: dict[str, dt.datetime] = {}
    for run in rows:
        until = busy_until.get(run.metric_id)
        if until is not None and aware(run.started_at) < until:
            found.append(f"{run.metric_id} #{run.id} by {run.runner} at {run.started_at} ({run.status})")
        finished = aware(run.finished_at) if run.finished_at else dt.datetime.max.replace(tzinfo=dt.UTC)
        busy_until[run.metric_id] = max(finished, until or finished)
    return found


@pytest.mark.slow
def test_a_leader_cut_off_from_the_database_stops_scheduling_no_overlapping_runs(
        database: str, test_registry: Registry, tmp_path: Path) -> None:
    if not database.startswith("postgresql"):
        pytest.skip("the leader lock is a PostgreSQL session; SQLite's file lock cannot be cut off")
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01")}])
    proxy = TcpProxy(("127.0.0.1", make_url(database).port or 5432))
    through_proxy = make_url(database).set(port=proxy.port).render_as_string(hide_password=False)
    try:
        with leader_and_standby(tmp_path, through_proxy) as pair:
            time.sleep(3)
            with get_engine().connect() as conn:  # the leader's next runs are recorded, then wait on the source
                conn.execute(text("LOCK TABLE src_events IN ACCESS EXCLUSIVE MODE"))
                time.sleep(1)
                cut_at = utcnow()
                proxy.cut(silent=True)
                wait_for(pair.standby_log, "Leader lock taken", 5)
                conn.rollback()
            time.sleep(max(0, 3 - (utcnow() - cut_at).total_seconds()))  # a 3 s cut
            proxy.restore()
            wait_for(pair.leader_log, "Leader lease 1 lost to another scheduler", 10)
            time.sleep(3)
    finally:
        proxy.close()
    assert overlapping_runs() == []
    with get_engine().connect() as conn:
        runs = conn.execute(select(RUNS.c.runner, RUNS.c.started_at, RUNS.c.status)).all()
    took_over = [r for r in runs if r.runner.endswith(f":{pair.standby.pid}") and r.status == RunStatus.SUCCESS]
    assert len(took_over) >= 10 and min(aware(r.started_at) for r in took_over) > cut_at
    old_leader = [r for r in runs if r.runner.endswith(f":{pair.leader.pid}")]
    # what the old leader had in flight (its batch may still have been waiting on the source) was abandoned
    assert {r.status for r in old_leader if aware(r.started_at) > cut_at - dt.timedelta(seconds=1)} <= {"abandoned"}
    assert max(aware(r.started_at) for r in old_leader) < cut_at
