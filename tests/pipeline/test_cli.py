"""The refresh command as a user runs it: a failure in a line of words (its traceback only with -v), and a
misspelt metric answered with the closest name."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from data.config import PROJECT_ROOT
from data.db import get_engine
from metrics.registry import Registry
from tests.conftest import FIXTURES
from tests.helpers import at, put_events


def pipeline(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": database, "REGISTRY_DIR": str(FIXTURES / "registry")}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_failing_metric_is_one_line_of_words_and_its_traceback_only_under_verbose(
        database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01")}])
    with get_engine().begin() as conn:
        conn.execute(text("ALTER TABLE src_events DROP COLUMN closed_at"))  # closed_on_time's filter needs it
    quiet = pipeline(database, "refresh")
    assert quiet.returncode == 1, quiet.stdout + quiet.stderr
    assert "closed_on_time: failed" in quiet.stdout
    assert "Traceback" not in quiet.stdout + quiet.stderr
    loud = pipeline(database, "-v", "refresh", "--metric", "closed_on_time")
    assert loud.returncode == 1 and "Traceback" in loud.stderr


def test_a_misspelt_metric_is_refused_with_the_closest_name(database: str) -> None:
    done = pipeline(database, "refresh", "--metric", "events_cuont")
    assert done.returncode == 2
    assert "Unknown metric 'events_cuont' (did you mean 'events_count'?)." in done.stdout


def test_warnings_are_printed_when_values_change_and_counted_when_they_do_not(
        database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": str(n), "happened_at": at(f"2025-08-{n:02d}")} for n in range(1, 16)])
    first = pipeline(database, "refresh", "--metric", "events_count")
    assert "warning: events_count: Partial period" in first.stdout, first.stdout  # the data ends on 15 August
    again = pipeline(database, "refresh", "--metric", "events_count")
    assert "warning:" not in again.stdout
    assert "1 unchanged metric kept the quality warnings of the last refresh" in again.stdout
    assert "warning: events_count: Partial period" in pipeline(database, "-v", "refresh", "--metric",
                                                               "events_count").stdout


def test_a_store_that_does_not_exist_or_has_no_tables_is_named_with_what_to_run(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    done = pipeline(f"sqlite:///{missing}", "refresh")
    assert done.returncode == 1 and "does not exist: run `alembic upgrade head`" in done.stdout
    assert not missing.exists()  # asking does not leave an empty file behind
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    done = pipeline(f"sqlite:///{empty}", "load")
    assert done.returncode == 1 and "has no tables: run `alembic upgrade head`" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
