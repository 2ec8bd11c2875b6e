"""Command line: ``python -m pipeline validate | load | refresh | scheduler``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from data.config import Settings
from metrics.registry import Registry
from metrics.validation import did_you_mean

logger = logging.getLogger("pipeline")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STORE_COMMANDS = ("load", "refresh", "scheduler")  # the commands that read and write the value store


def _say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def cmd_validate(args: argparse.Namespace) -> int:
    from metrics.issues import Level, RegistryError
    from metrics.publishable import publishable
    from metrics.registry import read_registry
    from metrics.validation import validate_registry

    registry = read_registry(args.registry)
    issues = validate_registry(registry)
    shown = [i for i in issues if i.level is Level.ERROR or args.warnings]
    for issue in shown:
        _say(str(issue))
    blocking = [i for i in issues if i.blocks]
    acknowledged = [i for i in issues if i.acknowledged]
    warnings = [i for i in issues if i.level is Level.WARNING and not i.acknowledged]
    _say(f"\n{len(registry.metrics)} metrics, {len(registry.sources)} sources checked: "
         f"{len(blocking)} error(s), {len(acknowledged)} acknowledged data-entry error(s) in the City's records, "
         f"{len(warnings)} warning(s){'' if args.warnings else ' (show them with --warnings)'}.")
    try:
        _say_set_aside(publishable(registry))
    except RegistryError:
        _say("A broken file stops everything: fix it first.")
    if args.strict and acknowledged:
        return 1
    return 1 if blocking else 0


def _registry(args: argparse.Namespace) -> Registry:
    from metrics.issues import RegistryError
    from metrics.publishable import load_registry

    try:
        registry = load_registry(args.registry)
    except RegistryError as exc:
        _say(str(exc))
        _say("Fix these (python -m pipeline validate lists them all) and run again.")
        raise SystemExit(1) from None
    _say_set_aside(registry)
    return registry


def _set_aside(registry: Registry, kind: str) -> set[str]:
    """The ids of the objects of a kind ("metric", "source" …) set aside by registry errors."""
    return {i.owner[1] for i in registry.set_aside if i.owner and i.owner[0] == kind}


def _unknown(kind: str, ids: list[str], registry: Registry) -> str:
    aside = _set_aside(registry, kind)
    known = [getattr(registry, f"{kind}s", {}), aside]
    parts = [f"{kind} '{i}' is set aside for its registry errors (listed above)" if i in aside
             else f"unknown {kind} '{i}'{did_you_mean(i, [n for names in known for n in names])}" for i in ids]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return int(text)


def _say_set_aside(registry: Registry) -> None:
    owners = sorted({f"{i.owner[0]} '{i.owner[1]}'" for i in registry.set_aside if i.owner})
    if owners:
        _say(f"Set aside (not loaded, refreshed or published until fixed): {', '.join(owners)}.")
        for issue in registry.set_aside[:20]:
            _say(f"  {issue}")


def cmd_load(args: argparse.Namespace) -> int:
    from data.sources import load_source

    registry = _registry(args)
    chosen = args.source or [s for s in registry.sources if registry.sources[s].load]
    unknown = [s for s in chosen if s not in registry.sources]
    if unknown:
        _say(_unknown("source", unknown, registry) + f" Known: {', '.join(sorted(registry.sources))}.")
        return 2
    failed = 0
    for source_id in chosen:
        source = registry.sources[source_id]
        _say(f"Loading {source_id} from {source.load.file if source.load else '(no file)'} …")
        try:
            report = load_source(source, fy_start_month=registry.city.fiscal_year_start_month,
                                 timezone=registry.city.timezone, geographies=registry.city.geographies,
                                 progress=_say)
        except Exception as exc:  # reported, and the next source still loads
            failed += 1
            _say(f"  FAILED: {exc}")
            for line, reason in getattr(exc, "rejected", [])[: args.show_rejected]:
                _say(f"    {source.load.file if source.load else ''}:{line}: rejected: {reason}")
            _say("  The previous table and its values are kept.")
            continue
        _say(f"  {report.rows_loaded:,} rows loaded, {report.rows_rejected:,} rejected of {report.rows_read:,} read")
        if report.kept:
            _say(f"  {report.kept:,} figures already in the table were kept: a data call source only gains the "
                 "figures it lacks, so what agencies reported in the product is never replaced by the file")
        for kind, count in report.reasons.most_common():
            _say(f"    {count:,} × {kind}")
        for line, reason in report.rejected[: args.show_rejected]:
            _say(f"    {source.load.file if source.load else ''}:{line}: rejected: {reason}")
        if report.rows_rejected > args.show_rejected:
            kept = len(report.rejected)
            _say(f"    … {report.rows_rejected - min(kept, args.show_rejected):,} more; the first {kept:,} are kept "
                 "in the load record (data health)")
    return 1 if failed else 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from pipeline.refresh import RunResult, refresh_all

    registry = _registry(args)
    unknown = [m for m in args.metric or [] if m not in registry.metrics]
    if unknown:
        _say(_unknown("metric", unknown, registry))
        return 2

    def progress(index: int, total: int, result: RunResult) -> None:
        if result.status != "success" or args.verbose or index % 50 == 0 or index == total:
            detail = result.error or f"{result.rows} values, {result.written} new or restated"
            _say(f"[{index}/{total}] {result.metric_id}: {result.status} ({detail})")
        if result.written or args.verbose:  # a metric whose values did not change keeps the warnings it had
            for warning in result.warnings:
                _say(f"    warning: {result.metric_id}: {warning}")

    results = refresh_all(registry, args.metric, progress=progress, workers=args.workers)
    failed = [r for r in results if r.status != "success"]
    aside = 0 if args.metric else len(_set_aside(registry, "metric"))
    _say(f"\nRefreshed {len(results) - len(failed)} of {len(results)} metrics; "
         f"{sum(r.rows for r in results):,} values current, {sum(r.written for r in results):,} new or restated; "
         f"{len(failed)} failed{': ' + ', '.join(r.metric_id for r in failed) if failed else ''}"
         f"{f'; {aside} set aside for registry errors (listed above, not refreshed)' if aside else ''}.")
    if kept := sum(1 for r in results if r.warnings and not r.written and not args.verbose):
        _say(f"{kept:,} unchanged metric{'s' if kept != 1 else ''} kept the quality warnings of the last refresh "
             "(Data health lists them; -v prints them here).")
    return 1 if failed else 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from pipeline import scheduler

    logging.getLogger("pipeline").setLevel(logging.INFO)
    scheduler.run(_registry(args), every=args.every, poll_seconds=args.poll, say=_say,
                  reminders_every=args.reminders_every)
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Check the city's registry, load its source files, refresh metric values, or run the refresh "
                    "scheduler.",
        epilog="The value store is $DATABASE_URL (default: the SQLite file instance/citistat.db). "
               "`python -m pipeline COMMAND --help` describes a command.")
    parser.add_argument("--registry", type=Path, default=settings.registry_dir,
                        help="registry folder, the city's (default: $REGISTRY_DIR or cities/baltimore)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check the whole registry; print problems as file:line: message")
    validate.add_argument("--warnings", action="store_true", help="also print warnings")
    validate.add_argument("--strict", action="store_true", help="fail on acknowledged errors too")
    validate.set_defaults(func=cmd_validate)

    load = commands.add_parser("load", help="load source files into their source tables (demo data)")
    load.add_argument("--source", action="append", help="only this source (repeatable)")
    load.add_argument("--show-rejected", type=int, default=10, metavar="N", help="rejected rows to print per source")
    load.set_defaults(func=cmd_load)

    refresh = commands.add_parser(
        "refresh", help="compute metric values from their sources and store them",
        description="Compute each metric in its source database, pass its values through the quality gate and store "
                    "them with history. A metric whose inputs are those of its last refresh is recorded unchanged "
                    "without recomputing; a failing metric keeps its last good values and the others go on. Exit "
                    "status: 0 when every metric refreshed, 1 when one failed, 2 for an unknown --metric. Metrics "
                    "set aside by registry errors are listed first and not refreshed (`validate` fails on them).")
    refresh.add_argument("--metric", action="append", help="only this metric (repeatable)")
    refresh.add_argument("--workers", type=_at_least_one, default=2, metavar="N",
                         help="batched queries running at once in the source databases, ahead of the roll-up, "
                              "and writers storing values meanwhile on PostgreSQL (default 2)")
    refresh.set_defaults(func=cmd_refresh)

    sched = commands.add_parser("scheduler", help="run the refresh scheduler in this process (one leader per database)")
    sched.add_argument("--every", type=float, metavar="SECONDS",
                       help="refresh every metric every SECONDS instead of its schedule (demos and tests)")
    sched.add_argument("--poll", type=float, default=5.0, metavar="SECONDS",
                       help="how often a standby scheduler retries the leader lock (default 5)")
    sched.add_argument("--reminders-every", type=float, default=900.0, metavar="SECONDS",
                       help="how often the e-mail reminders are looked for, when SMTP_HOST is set (default 900)")
    sched.set_defaults(func=cmd_scheduler)
    return parser


class _WithoutTraceback(logging.Formatter):
    """A log line without its traceback: the command already says what failed and where (``-v`` shows them)."""

    def formatException(self, ei: Any) -> str:  # noqa: N802  (logging's name)
        return ""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format=LOG_FORMAT)
    if not args.verbose and args.command != "scheduler":  # the scheduler's log is its operators' record
        for handler in logging.getLogger().handlers:
            handler.setFormatter(_WithoutTraceback(LOG_FORMAT))
    if args.command in STORE_COMMANDS:
        from data.schema import schema_problem

        if problem := schema_problem():
            _say(problem)
            return 1
    return int(args.func(args))
