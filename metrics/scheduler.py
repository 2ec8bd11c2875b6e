"""The refresh scheduler: APScheduler 3 jobs built from the registry, run by exactly one process.

Jobs have stable ids (``refresh:<metric>``), ``coalesce``, ``max_instances=1`` and a misfire grace time.
Before it runs any job a scheduler takes the leader lock: a PostgreSQL session advisory lock held on a
dedicated connection (freed when the process dies), or on SQLite an exclusive lock on a file beside the
database. A second scheduler waits as a standby and takes over when the leader goes away.
"""

from __future__ import annotations

import fcntl
import logging
import signal
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from data.db import get_engine
from metrics.refresh import abandon_dead_runs, refresh_metric
from metrics.registry import Registry
from metrics.spec import Frequency

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 900
LEADER_LOCK_KEY = zlib.crc32(b"citistat-scheduler-leader")
_registry: Registry | None = None


def refresh_job(metric_id: str) -> None:
    """Job body (module level so APScheduler can reference it): refresh one metric."""
    assert _registry is not None, "the scheduler sets the registry before starting"
    result = refresh_metric(_registry, metric_id, trigger="scheduler")
    logger.info("refresh:%s %s (%s values)", metric_id, result.status, result.rows)


def trigger_for(frequency: Frequency, metric_id: str, timezone: str, every: float | None = None) -> BaseTrigger:
    """Daily and weekly metrics refresh hourly; the rest daily (new figures may land any day).

    Minutes are spread by a hash of the metric id so jobs do not all start at once.
    """
    if every:
        return IntervalTrigger(seconds=every, timezone=timezone)
    minute = zlib.crc32(metric_id.encode()) % 60
    if frequency in (Frequency.DAILY, Frequency.WEEKLY):
        return CronTrigger(minute=minute, timezone=timezone)
    return CronTrigger(hour=5, minute=minute, timezone=timezone)


def build_scheduler(registry: Registry, *, every: float | None = None,
                    scheduler_class: Callable[..., BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """An unstarted scheduler with one job per metric (``get_jobs()`` lists them before start)."""
    global _registry
    _registry = registry
    workers = 1 if get_engine().dialect.name == "sqlite" else 4
    scheduler = scheduler_class(
        executors={"default": ThreadPoolExecutor(workers)},
        timezone=registry.city.timezone,
    )
    for metric in sorted(registry.metrics.values(), key=lambda m: m.id):
        scheduler.add_job(refresh_job, trigger_for(metric.frequency, metric.id, registry.city.timezone, every),
                          args=[metric.id], id=f"refresh:{metric.id}", name=metric.title, replace_existing=True,
                          coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS)
    return scheduler


class LeaderLock:
    """Held by at most one scheduler process per database."""

    def __init__(self) -> None:
        self._engine = get_engine()
        self._conn: Connection | None = None
        self._file: Any = None

    def try_acquire(self) -> bool:
        if self._engine.dialect.name == "postgresql":
            conn = self._engine.connect()
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar():
                conn.commit()
                self._conn = conn
                return True
            conn.rollback()
            conn.close()
            return False
        database = make_url(str(self._engine.url)).database or "memory"
        handle = Path(f"{database}.scheduler.lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None


def run(registry: Registry, *, every: float | None = None, poll_seconds: float = 5.0,
        say: Callable[[str], None] = logger.warning) -> None:
    """Wait to become leader, then run the blocking scheduler until SIGTERM or SIGINT."""
    stopping = threading.Event()
    scheduler = build_scheduler(registry, every=every)

    def stop(*_: object) -> None:
        stopping.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    lock = LeaderLock()
    announced = False
    while not lock.try_acquire():
        if not announced:
            say("Another scheduler holds the leader lock; standing by.")
            announced = True
        if stopping.wait(poll_seconds):
            return
    try:
        say(f"Leader lock taken; scheduling {len(registry.metrics)} metric refreshes.")
        abandon_dead_runs()
        scheduler.start()
    finally:
        lock.release()
        say("Scheduler stopped.")


def start_in_process(registry: Registry, *, every: float | None = None) -> BaseScheduler | None:
    """For the single-user ``make run``: a background scheduler, if no other scheduler leads."""
    from apscheduler.schedulers.background import BackgroundScheduler

    lock = LeaderLock()
    if not lock.try_acquire():
        logger.warning("a scheduler process is already running; the app will not schedule refreshes")
        return None
    scheduler = build_scheduler(registry, every=every, scheduler_class=BackgroundScheduler)
    scheduler.start()
    return scheduler
