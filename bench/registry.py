"""Benchmark: reading the registry, libyaml's parser against PyYAML's pure-Python one, side by side in one run.

    python bench/registry.py                     # the Baltimore registry
    python bench/registry.py --registry DIR --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    from metrics.publishable import load_registry

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", type=Path, default=ROOT / "cities" / "baltimore")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = [p.read_text() for p in sorted(args.registry.rglob("*.yaml"))]
    python = median_of(args.repeat, lambda: [yaml.load(t, Loader=yaml.SafeLoader) for t in texts])  # noqa: S506
    libyaml = median_of(args.repeat, lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts])  # noqa: S506
    whole = median_of(args.repeat, lambda: load_registry(args.registry))
    registry = load_registry(args.registry)
    print(f"{len(texts)} files, {len(registry.metrics)} metrics (median of {args.repeat})")
    print(f"{'parse, pure-Python SafeLoader':<36}{python:>8.2f} s")
    print(f"{'parse, libyaml CSafeLoader':<36}{libyaml:>8.2f} s   {python / libyaml:.1f}× faster")
    print(f"{'whole load (parse, models, checks)':<36}{whole:>8.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
