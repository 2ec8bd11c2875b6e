"""The refresh scheduler: APScheduler 3 jobs built from the registry, run by exactly one process.

Jobs refresh the metrics of one source due together (one batched query, ``pipeline.batch``). They have
stable ids (``refresh:<source>:hourly|daily``), ``coalesce``, ``max_instances=1`` and a misfire grace time.
Before it runs any job a scheduler takes the leader lock: a PostgreSQL session advisory lock held on a
dedicated connection (freed when the process dies), or on SQLite an exclusive lock on a file beside the
database. A second scheduler waits as a standby and takes over when the leader goes away.

Fencing: a leader cut off from PostgreSQL loses its lock as soon as the server ends its session, while it
may still believe it leads. So taking the lock also takes the next lease (``data.lease``), a fencing token
each scheduled run carries; the store refuses a stale one before recording a run and before writing its
values, and the new leader marks the old leader's unfinished runs abandoned. The first job the old leader
tries after losing the lease is refused: its term ends at once (no further job of the term starts), its
scheduler shuts down without waiting, it releases the lock and stands by again, in the same process: a
supervisor has nothing to restart. (On SIGTERM a leader finishes its runs in flight, then frees the lock.)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import signal
import threading
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from data.access import Gate
from data.config import Settings
from data.db import get_engine
from data.lease import LeaseLost, take_lease
from data.models import RunStatus
from metrics.registry import Registry
from metrics.spec import Frequency
from pipeline.refresh import abandon_dead_runs, refresh_all, runner_id
from pipeline.reminders import send_due

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 900
REMINDERS_EVERY_SECONDS = 900
LEADER_LOCK_KEY = zlib.crc32(b"citistat-scheduler-leader")
_registry: Registry | None = None


@dataclass
class Term:
    """One spell as leader: the lease its runs carry, and whether it is over (lease lost, or stopping)."""

    lease: int | None = None
    over: threading.Event = field(default_factory=threading.Event)


def refresh_job(metric_ids: list[str], term: Term | None = None) -> None:
    """Job body (module level so APScheduler can reference it): refresh the metrics of one source that are due
    together, batched like ``refresh`` (one query per batch, ``pipeline.batch``), unless the term is over."""
    assert _registry is not None, "the scheduler sets the registry before starting"
    if term is not None and term.over.is_set():
        return
    try:
        results = refresh_all(_registry, metric_ids, trigger="scheduler", lease=term.lease if term else None)
    except LeaseLost as lost:
        logger.warning("refresh of %d metrics refused, %s: another scheduler leads; this one stops",
                       len(metric_ids), lost)
        if term is not None:
            term.over.set()
        return
    failed = [r.metric_id for r in results if r.status is not RunStatus.SUCCESS]
    logger.info("refreshed %d metrics (%s values)%s", len(results), sum(r.rows for r in results),
                f"; failed: {', '.join(failed)}" if failed else "")


def reminders_job(term: Term | None = None) -> None:
    """Job body: send the reminders now due (once each), unless the term is over or no SMTP server is set."""
    assert _registry is not None, "the scheduler sets the registry before starting"
    if term is not None and term.over.is_set():
        return
    try:
        sent = send_due(Gate(_registry), Settings.from_env(), lease=term.lease if term else None)
    except LeaseLost as lost:
        logger.warning("reminders refused, %s: another scheduler leads; this one stops", lost)
        if term is not None:
            term.over.set()
        return
    if sent:
        logger.info("reminders: %s sent", sent)


class Cadence(StrEnum):
    """How often a metric is looked at: daily and weekly metrics hourly, the rest daily (new figures may land any
    day)."""

    HOURLY = "hourly"
    DAILY = "daily"


def trigger_for(cadence: Cadence, key: str, timezone: str, every: float | None = None) -> BaseTrigger:
    """Hourly or daily at 5 a.m.; the minute is spread by a hash of the job's key so jobs do not all start at
    once."""
    if every:
        return IntervalTrigger(seconds=every, timezone=timezone)
    minute = zlib.crc32(key.encode()) % 60
    if cadence is Cadence.HOURLY:
        return CronTrigger(minute=minute, timezone=timezone)
    return CronTrigger(hour=5, minute=minute, timezone=timezone)


def due_together(registry: Registry) -> dict[tuple[str, Cadence], list[str]]:
    """Metric ids by source and cadence: each group is one job, refreshed together."""
    groups: dict[tuple[str, Cadence], list[str]] = defaultdict(list)
    for metric in sorted(registry.metrics.values(), key=lambda m: m.id):
        hourly = metric.frequency in (Frequency.DAILY, Frequency.WEEKLY)
        groups[(metric.computation.source, Cadence.HOURLY if hourly else Cadence.DAILY)].append(metric.id)
    return groups


def build_scheduler(registry: Registry, *, every: float | None = None, term: Term | None = None,
                    scheduler_class: Callable[..., BaseScheduler] = BlockingScheduler,
                    reminders_every: float = REMINDERS_EVERY_SECONDS) -> BaseScheduler:
    """An unstarted scheduler with one job per metric (``get_jobs()`` lists them before start), for ``term``, and
    the reminders job when SMTP settings are given."""
    global _registry
    _registry = registry
    workers = 1 if get_engine().dialect.name == "sqlite" else 4
    scheduler = scheduler_class(
        executors={"default": ThreadPoolExecutor(workers)},
        timezone=registry.city.timezone,
    )
    for (source, cadence), metric_ids in due_together(registry).items():
        job = f"refresh:{source}:{cadence}"
        scheduler.add_job(refresh_job, trigger_for(cadence, job, registry.city.timezone, every),
                          args=[metric_ids, term], id=job, name=f"{len(metric_ids)} metrics of {source}, {cadence}",
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=MISFIRE_GRACE_SECONDS)
    if Settings.from_env().smtp is not None:
        scheduler.add_job(reminders_job, IntervalTrigger(seconds=reminders_every, timezone=registry.city.timezone),
                          args=[term], id="reminders", name="E-mail reminders", replace_existing=True, coalesce=True,
                          max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS,
                          next_run_time=dt.datetime.now(ZoneInfo(registry.city.timezone)))  # and at start
    return scheduler


class LeaderLock:
    """Held by at most one scheduler process per database; taking it takes the next lease."""

    def __init__(self) -> None:
        self._engine = get_engine()
        self._conn: Connection | None = None
        self._file: Any = None
        self.lease: int | None = None

    def try_acquire(self) -> bool:
        if not self._lock():
            return False
        try:
            with self._engine.begin() as conn:
                self.lease = take_lease(conn, runner_id())
        except BaseException:
            self.release()
            raise
        return True

    def _lock(self) -> bool:
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
            # closed, not pooled: the session ends and frees the lock, and a dead link never hangs a rollback
            self._conn.invalidate()
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None


def run(registry: Registry, *, every: float | None = None, poll_seconds: float = 5.0,
        say: Callable[[str], None] = logger.warning, reminders_every: float = REMINDERS_EVERY_SECONDS) -> None:
    """Wait to become leader, then schedule until SIGTERM or SIGINT; a leader whose lease is lost stands by."""
    stopping = threading.Event()
    term = Term()

    def stop(*_: object) -> None:
        stopping.set()
        term.over.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    while not stopping.is_set():
        lock = LeaderLock()
        if not _wait_for_lock(lock, stopping, poll_seconds, say):
            break
        term = Term(lock.lease)
        if stopping.is_set():
            term.over.set()
        try:
            scheduler = build_scheduler(registry, every=every, term=term, scheduler_class=BackgroundScheduler,
                                        reminders_every=reminders_every)
            say(f"Leader lock taken (lease {lock.lease}); scheduling {len(registry.metrics)} metric refreshes.")
            abandon_dead_runs()
            scheduler.start()
            term.over.wait()
            scheduler.shutdown(wait=stopping.is_set())  # a stale term's runs are fenced: not waited for
        finally:
            lock.release()
        if not stopping.is_set():
            say(f"Leader lease {lock.lease} lost to another scheduler; stopped scheduling.")
    say("Scheduler stopped.")


def _wait_for_lock(lock: LeaderLock, stopping: threading.Event, poll_seconds: float,
                   say: Callable[[str], None]) -> bool:
    """Poll for the leader lock until taken (True) or stopping (False); an unreachable database is retried."""
    announced = False
    while True:
        try:
            if lock.try_acquire():
                return True
        except OperationalError as exc:
            logger.warning("leader lock not taken: %s", exc)
        if not announced:
            say("Another scheduler holds the leader lock; standing by.")
            announced = True
        if stopping.wait(poll_seconds):
            return False


def start_in_process(registry: Registry, *, every: float | None = None) -> BaseScheduler | None:
    """For the single-user ``make run``: a background scheduler, if no other scheduler leads.

    It stops, for good, if another scheduler takes the lease."""
    lock = LeaderLock()
    if not lock.try_acquire():
        logger.warning("a scheduler process is already running; the app will not schedule refreshes")
        return None
    term = Term(lock.lease)
    scheduler = build_scheduler(registry, every=every, term=term, scheduler_class=BackgroundScheduler)
    scheduler.start()

    def end_of_term() -> None:
        term.over.wait()
        logger.warning("another scheduler took the lease; the app no longer schedules refreshes")
        scheduler.shutdown(wait=False)
        lock.release()

    threading.Thread(target=end_of_term, name="scheduler-lease", daemon=True).start()
    return scheduler
