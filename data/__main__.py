"""Command line: ``python -m data users add | disable | enable | list``."""

from __future__ import annotations

import argparse
import getpass
import sys

from data.config import Settings
from data.models import Role
from data.users import STAFF_ROLES, UserError, add_user, list_users, set_disabled, set_email


def _say(message: str) -> None:
    sys.stdout.write(message + "\n")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise UserError("the two passwords differ")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    from metrics.registry import read_registry

    known = frozenset(read_registry(Settings.from_env().registry_dir).agencies)
    account = add_user(args.username, _password(args), Role(args.role), frozenset(args.agency or ()),
                       actor=_actor(), known_agencies=known, email=args.email)
    scope = f" for {', '.join(sorted(account.agencies))}" if account.agencies else ""
    _say(f"Added {account.role.value} '{account.username}'{scope}.")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    account = set_disabled(args.username, args.command == "disable", actor=_actor())
    state = "disabled; their sessions have ended" if account.disabled else "enabled"
    _say(f"User '{account.username}' is now {state}.")
    return 0


def cmd_email(args: argparse.Namespace) -> int:
    account = set_email(args.username, args.address, actor=_actor())
    _say(f"User '{account.username}' now gets reminders at {account.email}." if account.email
         else f"User '{account.username}' gets no reminders.")
    return 0


def cmd_list(_args: argparse.Namespace) -> int:
    accounts = list_users()
    for a in accounts:
        last = a.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if a.last_sign_in_at else "never"
        scope = ",".join(sorted(a.agencies)) or "-"
        _say(f"{a.username:<24} {a.role.value:<8} {scope:<24} {'disabled' if a.disabled else 'active':<9} "
             f"last sign-in {last}")
    _say(f"{len(accounts)} user(s).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    top = parser.add_subparsers(dest="area", required=True, metavar="AREA")
    users = top.add_parser("users", help="manage staff accounts").add_subparsers(dest="command", required=True,
                                                                                 metavar="COMMAND")
    add = users.add_parser("add", help="add a user (asks for the password twice)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in STAFF_ROLES])
    add.add_argument("--agency", action="append", metavar="ID", help="agency id (repeatable; role agency)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--email", help="where the user's reminders go (agency users: follow-ups and data calls due)")
    add.set_defaults(func=cmd_add)
    for name, text in (("disable", "disable a user and end their sessions"), ("enable", "enable a user")):
        command = users.add_parser(name, help=text)
        command.add_argument("username")
        command.set_defaults(func=cmd_disable)
    users.add_parser("list", help="list users").set_defaults(func=cmd_list)
    email = users.add_parser("email", help="set (or, with no address, clear) where a user's reminders go")
    email.add_argument("username")
    email.add_argument("address", nargs="?", default="")
    email.set_defaults(func=cmd_email)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
