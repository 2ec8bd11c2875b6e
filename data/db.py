"""Engines (one per database URL per process) and the session scope."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from data.config import Settings

_ENGINES: list[Engine] = []
CONNECT_TIMEOUT_SECONDS = 5  # an unreachable server is reported in seconds, not after the system's TCP timeout
_lock_wait_ms: ContextVar[int] = ContextVar("lock_wait_ms", default=30_000)


def get_engine(url: str | None = None) -> Engine:
    """Return the process-wide engine for ``url`` (default: the value store named by $DATABASE_URL).

    Errors never carry the statement's values (``hide_parameters``): they are recorded on data health and in
    logs that people outside the data's agency read."""
    return _engine(url or Settings.from_env().database_url)


@functools.cache
def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_lock_wait)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True,
                               connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    else:  # a warehouse reached through its SQLAlchemy dialect (DuckDB, …): its own connection defaults
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    _ENGINES.append(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_lock_wait(connection: Connection) -> None:
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {_lock_wait_ms.get()}")


def limit_lock_wait(seconds: float) -> None:
    """From now on in this thread or task, a SQLite transaction waits at most ``seconds`` for another writer's
    lock, then raises ``OperationalError``: a person waiting on a page is told at once, where a refresh waits
    longer (30 s)."""
    _lock_wait_ms.set(int(seconds * 1000))


def dispose_engines(close: bool = True) -> None:
    """Close every pooled connection and forget the engines (tests switching databases); in a forked process,
    ``close=False`` only forgets them (the connections are the parent's)."""
    for engine in list(_ENGINES):
        engine.dispose(close=close)
    _ENGINES.clear()
    _engine.cache_clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(url)) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
