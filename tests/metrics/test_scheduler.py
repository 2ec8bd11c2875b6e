"""The scheduler: jobs from the registry, and one leader per database across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from data.config import PROJECT_ROOT
from data.db import get_engine
from data.models import RefreshRun
from metrics.registry import Registry
from metrics.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler
from tests.conftest import FIXTURES
from tests.helpers import at, put_events

RUNS = RefreshRun.__table__  # type: ignore[attr-defined]


def test_jobs_have_stable_ids_and_safe_options(database: str, test_registry: Registry) -> None:
    scheduler = build_scheduler(test_registry)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["refresh:closed_on_time", "refresh:events_count", "refresh:patrol_spend"]
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert sorted(j.id for j in build_scheduler(test_registry).get_jobs()) == sorted(jobs)


def start_scheduler(log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"REGISTRY_DIR": str(FIXTURES / "registry"), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "metrics", "scheduler", "--every", "0.5", "--poll", "0.5"],
                            cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_for(log: Path, text: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {log}: {log.read_text()[-2000:]}")


def runners() -> set[str]:
    with get_engine().connect() as conn:
        return set(conn.execute(select(RUNS.c.runner).distinct()).scalars())


@pytest.mark.slow
def test_two_schedulers_only_one_runs_jobs_and_standby_takes_over(database: str, test_registry: Registry,
                                                                   tmp_path: Path) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01")}])
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_scheduler(first_log)
    second = None
    try:
        wait_for(first_log, "Leader lock taken")
        second = start_scheduler(second_log)
        wait_for(second_log, "standing by")
        time.sleep(3)
        assert {r.rsplit(":", 1)[1] for r in runners()} == {str(first.pid)}
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        wait_for(second_log, "Leader lock taken")
        time.sleep(2)
        assert {r.rsplit(":", 1)[1] for r in runners()} == {str(first.pid), str(second.pid)}
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)
    assert "Scheduler stopped." in second_log.read_text()
