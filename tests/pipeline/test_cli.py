"""The refresh command as a user runs it: a failure in a line of words (its traceback only with -v), and a
misspelt metric answered with the closest name."""

from __future__ import annotations

import os
import subprocess
import sys

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
