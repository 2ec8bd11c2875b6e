"""A refresh killed half-way leaves no partial or duplicate values, and a rerun completes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from data.config import PROJECT_ROOT
from data.db import get_engine
from data.models import MetricValue, RefreshRun
from data.sources import load_source
from metrics.registry import Registry
from pipeline.refresh import refresh_all

VALUES = MetricValue.__table__  # type: ignore[attr-defined]
RUNS = RefreshRun.__table__  # type: ignore[attr-defined]


def value_counts() -> dict[str, int]:
    with get_engine().connect() as conn:
        rows = conn.execute(select(VALUES.c.metric_id, func.count()).group_by(VALUES.c.metric_id)).all()
    return dict(rows)


@pytest.mark.slow
def test_kill_half_way_then_rerun(database: str, baltimore_registry: Registry) -> None:
    for source in baltimore_registry.sources.values():
        load_source(source, fy_start_month=7, timezone=baltimore_registry.city.timezone,
                        geographies=baltimore_registry.city.geographies, progress=lambda _: None)
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "refresh"], cwd=PROJECT_ROOT, env=dict(os.environ),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("[100/"):
            break
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    partial = value_counts()
    assert 0 < len(partial) < len(baltimore_registry.metrics)

    results = refresh_all(baltimore_registry)
    assert all(r.status == "success" for r in results)
    with get_engine().connect() as conn:
        assert conn.execute(select(func.count()).where(RUNS.c.status == "running")).scalar() == 0
        # The kill lands inside metrics (their runs are marked abandoned: PostgreSQL refreshes two at a time) or
        # between them (nothing to mark).
        assert conn.execute(select(func.count()).where(RUNS.c.status == "abandoned")).scalar() in (0, 1, 2)
        assert conn.execute(select(func.count()).where(VALUES.c.valid_to.is_not(None))).scalar() == 0
        duplicates = conn.execute(select(func.count()).select_from(
            select(VALUES.c.metric_id).group_by(VALUES.c.metric_id, VALUES.c.grain, VALUES.c.period_start,
                                                VALUES.c.geography, VALUES.c.geo_key)
            .having(func.count() > 1).subquery())).scalar()
    assert duplicates == 0
    computed = {r.metric_id: r.rows for r in results}
    assert value_counts() == {m: n for m, n in computed.items() if n}
    assert sum(computed.values()) == 88410  # with the values by Community Statistical Area
