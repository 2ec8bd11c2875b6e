"""Benchmark: our refresh vs the hand-written GROUP BY floor vs naive pandas, on SQLite and PostgreSQL.

Generates N synthetic 311-style requests (deterministic), then for a set of computed metrics measures, in
one run and side by side: our refresh (query, roll-up, versioned write, run record), each metric with its own
query and batched (one query for the metrics that share the source and places, as ``refresh`` runs), the same grouped
queries written by hand (fetch only: the floor), and a naive pandas refresh (read every row, group in
Python). Times are the median of ``--repeat`` runs; peak memory is Python's traced peak (tracemalloc,
which numpy and pandas report to) in a separate run. The database server's own memory is not counted.

    python bench/refresh.py                  # 1,000,000 rows, SQLite and PostgreSQL
    python bench/refresh.py --rows 100000 --backend sqlite
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import delete, text  # noqa: E402

from data.db import dispose_engines, get_engine  # noqa: E402
from data.models import MetricValue  # noqa: E402
from metrics.registry import Registry  # noqa: E402
from metrics.spec import City, MetricSpec, SourceSpec  # noqa: E402
from pipeline.refresh import refresh_all, refresh_metric  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"

SOURCE = SourceSpec.model_validate({
    "id": "bench_requests", "title": "Synthetic 311 requests", "table": "src_bench_requests",
    "time_column": "created_at", "geographies": {"council_district": "council_district"},
    "columns": [{"name": "request_id", "required": True}, {"name": "request_type"},
                {"name": "created_at", "type": "datetime", "required": True}, {"name": "due_at", "type": "datetime"},
                {"name": "closed_at", "type": "datetime"}, {"name": "council_district", "type": "integer"}],
})
BASE = {"measure_type": "output", "agency": "A", "frequency": "monthly", "direction": "none", "visibility": "public",
        "grains": ["month", "fiscal_quarter", "fiscal_year"], "geographies": ["council_district"]}
METRICS = [MetricSpec.model_validate(BASE | m) for m in [
    {"id": "requests", "title": "Requests", "definition": "Requests created.", "format": "count",
     "computation": {"kind": "computed", "source": "bench_requests", "aggregation": "count"}},
    {"id": "dumping", "title": "Dumping requests", "definition": "Illegal dumping requests.", "format": "count",
     "computation": {"kind": "computed", "source": "bench_requests", "aggregation": "count",
                     "filters": [{"column": "request_type", "value": "HCD-Illegal Dumping"}]}},
    {"id": "on_time", "title": "Closed on time", "definition": "Closed requests closed by the due date.",
     "format": "percent", "computation": {"kind": "computed", "source": "bench_requests", "aggregation": "ratio",
                                          "filters": [{"column": "closed_at", "op": "not_null"}],
                                          "numerator_filters": [{"column": "closed_at", "op": "le",
                                                                 "other_column": "due_at"}]}},
    {"id": "days_to_close", "title": "Days to close", "definition": "Mean days from creation to closure.",
     "format": "days", "computation": {"kind": "computed", "source": "bench_requests", "aggregation": "mean",
                                       "days_between": ["created_at", "closed_at"],
                                       "filters": [{"column": "closed_at", "op": "not_null"}]}},
]]
REGISTRY = Registry(root=Path("."), city=City(name="Bench", geographies={"council_district": {"label": "District"}}),
                    pillars={}, goals={}, agencies={}, services={}, sources={SOURCE.id: SOURCE},
                    metrics={m.id: m for m in METRICS})

# The floor: the same grouped queries, written by hand for each dialect.
MONTH = {"sqlite": "substr(created_at, 1, 7) || '-01'", "postgresql": "date_trunc('month', created_at)::date"}
DAYS = {"sqlite": "julianday(closed_at) - julianday(created_at)",
        "postgresql": "extract(epoch from closed_at - created_at) / 86400.0"}
HAND = {
    "requests": "SELECT {month} m, council_district, count(*) FROM src_bench_requests GROUP BY 1, 2",
    "dumping": "SELECT {month} m, council_district, count(*) FROM src_bench_requests "
               "WHERE request_type = 'HCD-Illegal Dumping' GROUP BY 1, 2",
    "on_time": "SELECT {month} m, council_district, sum(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END), count(*) "
               "FROM src_bench_requests WHERE closed_at IS NOT NULL GROUP BY 1, 2",
    "days_to_close": "SELECT {month} m, council_district, sum({days}), count({days}) FROM src_bench_requests "
                     "WHERE closed_at IS NOT NULL GROUP BY 1, 2",
}

GENERATE = {
    "sqlite": """
        WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < :n)
        INSERT INTO src_bench_requests (source_line, request_id, request_type, created_at, due_at, closed_at,
                                        council_district)
        SELECT i, 'R' || i,
               CASE i % 7 WHEN 0 THEN 'HCD-Illegal Dumping' WHEN 1 THEN 'SW-Dirty Alley' ELSE 'TRS-Parking' END,
               datetime('2019-01-01', '+' || ((i * 7919) % 157680000 / 60) || ' minutes'),
               datetime('2019-01-01', '+' || ((i * 7919) % 157680000 / 60 + 7200) || ' minutes'),
               CASE WHEN i % 5 = 0 THEN NULL
                    ELSE datetime('2019-01-01', '+' || ((i * 7919) % 157680000 / 60 + (i * 31) % 14400) || ' minutes')
               END,
               CASE WHEN i % 97 = 0 THEN NULL ELSE 1 + (i * 13) % 14 END
        FROM seq""",
    "postgresql": """
        INSERT INTO src_bench_requests (source_line, request_id, request_type, created_at, due_at, closed_at,
                                        council_district)
        SELECT i, 'R' || i,
               CASE i % 7 WHEN 0 THEN 'HCD-Illegal Dumping' WHEN 1 THEN 'SW-Dirty Alley' ELSE 'TRS-Parking' END,
               timestamp '2019-01-01' + ((i::bigint * 7919) % 157680000 / 60) * interval '1 minute',
               timestamp '2019-01-01' + ((i::bigint * 7919) % 157680000 / 60 + 7200) * interval '1 minute',
               CASE WHEN i % 5 = 0 THEN NULL
                    ELSE timestamp '2019-01-01'
                         + ((i::bigint * 7919) % 157680000 / 60 + (i::bigint * 31) % 14400) * interval '1 minute' END,
               CASE WHEN i % 97 = 0 THEN NULL ELSE 1 + (i * 13) % 14 END
        FROM generate_series(0, :n - 1) AS i""",
}


def prepare(backend: str, rows: int) -> tuple[str, Callable[[], None]]:
    """A migrated store holding the synthetic source table; returns its URL and a clean-up."""
    from alembic import command
    from alembic.config import Config

    from data.sources import source_table

    RESULTS.mkdir(exist_ok=True)
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if backend == "sqlite":
        path = RESULTS / f"bench-{rows}.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        cleanup = lambda: path.unlink(missing_ok=True)  # noqa: E731
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"

        def cleanup() -> None:
            dispose_engines()
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    os.environ["DATABASE_URL"] = url
    dispose_engines()
    config = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")
    engine = get_engine()
    source_table(SOURCE).create(engine)
    with engine.begin() as conn:
        conn.execute(text(GENERATE[engine.dialect.name]), {"n": rows})
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE src_bench_requests"))
    return url, cleanup


def ours() -> None:
    with get_engine().begin() as conn:
        conn.execute(delete(MetricValue.__table__))  # type: ignore[attr-defined]  (every run writes everything)
    for metric in METRICS:
        result = refresh_metric(REGISTRY, metric.id, trigger="bench")
        assert result.status == "success", result.error


def ours_batched() -> None:
    with get_engine().begin() as conn:
        conn.execute(delete(MetricValue.__table__))  # type: ignore[attr-defined]
    results = refresh_all(REGISTRY, trigger="bench")
    assert all(result.status == "success" for result in results), [r.error for r in results]


def hand_written() -> None:
    engine = get_engine()
    with engine.connect() as conn:
        for sql in HAND.values():
            conn.execute(text(sql.format(month=MONTH[engine.dialect.name], days=DAYS[engine.dialect.name]))).all()


def naive_pandas() -> None:
    engine = get_engine()
    for metric in METRICS:
        with engine.connect() as conn:
            frame = pd.read_sql(text("SELECT * FROM src_bench_requests"), conn,
                                parse_dates=["created_at", "due_at", "closed_at"])
        frame["month"] = frame["created_at"].dt.to_period("M")
        if metric.id == "dumping":
            frame = frame[frame["request_type"] == "HCD-Illegal Dumping"]
        if metric.id in ("on_time", "days_to_close"):
            frame = frame[frame["closed_at"].notna()]
        groups = frame.groupby(["month", "council_district"], dropna=False)
        if metric.id == "on_time":
            (frame["closed_at"] <= frame["due_at"]).groupby([frame["month"], frame["council_district"]]).mean()
        elif metric.id == "days_to_close":
            ((frame["closed_at"] - frame["created_at"]).dt.total_seconds() / 86400).groupby(
                [frame["month"], frame["council_district"]]).mean()
        else:
            groups.size()


def measure(fn: Callable[[], None], repeat: int) -> tuple[float, float]:
    """(median seconds, peak traced MiB)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows (default 1,000,000)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per approach (median)")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the naive pandas baseline")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(f"{args.rows:,} synthetic requests; {len(METRICS)} computed metrics (month × council district, rolled up "
          "to fiscal quarters and years); median of "
          f"{args.repeat} runs; peak = Python traced memory\n")
    header = f"{'backend':<11}{'approach':<22}{'time s':>9}{'vs floor':>10}{'peak MiB':>10}"
    print(header)
    print("-" * len(header))
    for backend in backends:
        started = time.perf_counter()
        _, cleanup = prepare(backend, args.rows)
        print(f"{backend:<11}(generated in {time.perf_counter() - started:.1f} s)")
        try:
            floor = measure(hand_written, args.repeat)
            rows = [("hand-written SQL", floor), ("ours, per metric", measure(ours, args.repeat)),
                    ("ours, batched", measure(ours_batched, args.repeat))]
            if not args.skip_pandas:
                rows.append(("naive pandas", measure(naive_pandas, max(1, args.repeat - 2))))
            for name, (seconds, peak) in rows:
                print(f"{backend:<11}{name:<22}{seconds:>9.2f}{seconds / floor[0]:>9.2f}×{peak:>10.1f}")
        finally:
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
