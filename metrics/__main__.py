"""Command line: ``python -m metrics validate | import-plan | load | refresh | scheduler``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from data.config import PROJECT_ROOT, Settings

logger = logging.getLogger("metrics")


def _say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def cmd_validate(args: argparse.Namespace) -> int:
    from metrics.issues import Level
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
    if args.strict and acknowledged:
        return 1
    return 1 if blocking else 0


def cmd_import_plan(args: argparse.Namespace) -> int:
    from metrics.baltimore_plan import import_plan

    summary = import_plan(args.source, args.registry, progress=_say)
    _say(f"Imported {summary.metrics} measures ({summary.public} public), {summary.pillars} pillars, "
         f"{summary.goals} goals, {summary.agencies} agencies, {summary.services} services "
         f"into {summary.files_written} files.")
    _say(f"{len(summary.city_errors)} data-entry error(s) found in the City's records, kept and acknowledged "
         "(`python -m metrics validate` lists them):")
    for issue in summary.city_errors:
        _say(f"  {issue}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m metrics", description=__doc__)
    parser.add_argument("--registry", type=Path, default=settings.registry_dir,
                        help="registry folder (default: $REGISTRY_DIR or metrics/definitions)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check the whole registry; print problems as file:line: message")
    validate.add_argument("--warnings", action="store_true", help="also print warnings")
    validate.add_argument("--strict", action="store_true", help="fail on acknowledged errors too")
    validate.set_defaults(func=cmd_validate)

    imp = commands.add_parser("import-plan", help="turn the City's Action Plan and Performance Plan into registry YAML")
    imp.add_argument("--source", type=Path, default=PROJECT_ROOT / "data" / "baltimore",
                     help="folder holding action_plan/ and performance_plan/ (default: data/baltimore)")
    imp.set_defaults(func=cmd_import_plan)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
