"""Benchmark: refresh at scale — N computed metrics over an M-row 311-style source, side by side in one run:

    floor          the batched grouped queries alone (fetch only): what the database must do
    + roll-up      the floor, each metric's rows taken out of its batch's and rolled up to every grain and place
    per metric     each metric with its own query (how refresh ran before batching)
    batched        ``refresh``: one query per source and batch, roll-up, versioned write, run records
    batched again  the same refresh with nothing changed (each run's digest matches: nothing read or written)

The metrics are four per request type (count, share closed on time, mean days to close, closed count), by month
and council district, like a city's 311 indicators. Peak memory is the process's resident peak.

    python bench/scale.py                                   # 1,000 metrics, 200,000 rows, PostgreSQL
    python bench/scale.py --metrics 5000 --rows 1000000 --skip-per-metric
    python bench/scale.py --backend sqlite
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from refresh import BASE, SOURCE, prepare  # noqa: E402  (bench/refresh.py: the same source and its store)
from sqlalchemy import delete, text  # noqa: E402

from data.db import get_engine  # noqa: E402
from data.models import MetricValue, RefreshRun  # noqa: E402
from data.sources import source_engine, source_table  # noqa: E402
from metrics.registry import Registry  # noqa: E402
from metrics.spec import City, MetricSpec  # noqa: E402
from pipeline.batch import batch_query, batch_rows, batches  # noqa: E402
from pipeline.compute import values_from_rows  # noqa: E402
from pipeline.refresh import refresh_all, refresh_metric  # noqa: E402

KINDS = {
    "count": {"aggregation": "count", "format": "count"},
    "on_time": {"aggregation": "ratio", "format": "percent", "closed": True,
                "numerator_filters": [{"column": "closed_at", "op": "le", "other_column": "due_at"}]},
    "days": {"aggregation": "mean", "format": "days", "closed": True, "days_between": ["created_at", "closed_at"]},
    "closed": {"aggregation": "count", "format": "count", "closed": True},
}


def registry(metrics: int, types: int) -> Registry:
    specs = []
    for n in range(metrics):
        kind, spec = list(KINDS.items())[n % len(KINDS)]
        request_type = f"T{(n // len(KINDS)) % types}"
        filters = [{"column": "request_type", "value": request_type}]
        if spec.get("closed"):
            filters.append({"column": "closed_at", "op": "not_null"})
        computation = {"kind": "computed", "source": SOURCE.id, "aggregation": spec["aggregation"],
                       "filters": filters, **{k: spec[k] for k in ("numerator_filters", "days_between") if k in spec}}
        specs.append(MetricSpec.model_validate(BASE | {
            "id": f"m{n:05d}_{kind}", "title": f"{kind} of {request_type}", "definition": f"{kind}, {request_type}.",
            "format": spec["format"], "computation": computation}))
    return Registry(root=Path("."), city=City(name="Bench", geographies={"council_district": {"label": "District"}}),
                    pillars={}, goals={}, agencies={}, services={}, sources={SOURCE.id: SOURCE},
                    metrics={m.id: m for m in specs})


def retype(types: int) -> None:
    """Spread the generated requests over ``types`` request types (bench/refresh.py makes three)."""
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE src_bench_requests SET request_type = 'T' || (source_line % :k)"), {"k": types})


def clear() -> None:
    with get_engine().begin() as conn:
        conn.execute(delete(MetricValue.__table__))  # type: ignore[attr-defined]
        conn.execute(delete(RefreshRun.__table__))  # type: ignore[attr-defined]


def timed(what: Callable[[], object]) -> float:
    start = time.perf_counter()
    what()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metrics", type=int, default=1000, help="computed metrics (default 1,000)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the source (default 200,000)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--skip-per-metric", action="store_true", help="leave out the one-query-per-metric run")
    args = parser.parse_args()
    types = max(1, args.metrics // len(KINDS))
    started = time.perf_counter()
    _, cleanup = prepare(args.backend, args.rows)
    try:
        retype(types)
        bench = registry(args.metrics, types)
        print(f"{args.rows:,} rows, {types:,} request types, {args.metrics:,} metrics on {args.backend} "
              f"(prepared in {time.perf_counter() - started:.0f} s)", flush=True)
        groups = list(batches(bench.metrics.values(), bench.sources))
        engine = source_engine(SOURCE)

        def floor() -> None:
            with engine.connect() as conn:
                for group in groups:
                    conn.execute(batch_query(group, source_table(SOURCE), engine.dialect.name)[0]).all()

        def progress(done: int, total: int, _: object) -> None:
            if done % 500 == 0 or done == total:
                print(f"    {done:,}/{total:,}", flush=True)

        def floor_and_roll_up() -> None:
            with engine.connect() as conn:
                for group in groups:
                    fetched = batch_rows(group, conn).rows
                    for metric in group.metrics:
                        values_from_rows(metric, SOURCE, fetched[metric.id], 7)

        rows: list[tuple[str, float]] = [("floor (queries only)", timed(floor)),
                                         ("floor + roll-up", timed(floor_and_roll_up))]
        if not args.skip_per_metric:
            clear()
            rows.append(("per metric", timed(lambda: [refresh_metric(bench, m, trigger="bench")
                                                      for m in bench.metrics])))
        clear()
        rows.append(("batched", timed(lambda: refresh_all(bench, trigger="bench", progress=progress))))
        rows.append(("batched again", timed(lambda: refresh_all(bench, trigger="bench"))))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        cleanup()
    floor_seconds = rows[0][1]
    rolled = rows[1][1]
    print(f"\n{'approach':<24}{'seconds':>10}{'vs floor':>10}{'vs + roll-up':>14}{'per metric':>13}")
    print("-" * 71)
    for name, seconds in rows:
        print(f"{name:<24}{seconds:>10.1f}{seconds / floor_seconds:>9.1f}×{seconds / rolled:>13.1f}×"
              f"{seconds / args.metrics * 1000:>10.1f} ms")
    print(f"\n{len(groups)} batched queries; peak resident memory {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
