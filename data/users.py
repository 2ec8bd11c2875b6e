"""Staff accounts: add, disable, list, and sign-in checks slowed down after repeated failures.

Passwords are salted scrypt hashes (Werkzeug). After ``FREE_ATTEMPTS`` failures within ``WINDOW`` for a
username or an address, each further attempt must wait twice as long as the last (up to ``MAX_WAIT``);
every failure is logged and kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from data.audit import record
from data.db import get_engine
from data.models import Role, SignInFailure, User, utcnow

logger = logging.getLogger(__name__)

USER = User.__table__  # type: ignore[attr-defined]
FAILURE = SignInFailure.__table__  # type: ignore[attr-defined]
MIN_PASSWORD_LENGTH = 12
WINDOW = dt.timedelta(minutes=15)
FREE_ATTEMPTS = 5
MAX_WAIT = dt.timedelta(minutes=15)
STAFF_ROLES = (Role.ADMIN, Role.AGENCY, Role.VIEWER)
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")


class UserError(ValueError):
    """A user command that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: Role
    agencies: frozenset[str]
    disabled: bool
    session_version: int
    last_sign_in_at: dt.datetime | None


def _account(row: object) -> Account:
    r = row
    return Account(r.id, r.username, Role(r.role),  # type: ignore[attr-defined]
                   frozenset(a for a in r.agencies.split(",") if a),  # type: ignore[attr-defined]
                   r.disabled, r.session_version, r.last_sign_in_at)  # type: ignore[attr-defined]


def _public(account: Account) -> dict[str, object]:
    return {"username": account.username, "role": account.role.value, "agencies": sorted(account.agencies),
            "disabled": account.disabled}


def add_user(username: str, password: str, role: Role, agencies: frozenset[str], *, actor: str,
             known_agencies: frozenset[str]) -> Account:
    username = username.strip().lower()
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise UserError("usernames are letters, digits, '.', '-' and '_' (at most 80)")
    if role not in STAFF_ROLES:
        raise UserError(f"role must be one of: {', '.join(r.value for r in STAFF_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    unknown = sorted(agencies - known_agencies)
    if unknown:
        raise UserError(f"unknown agency id(s): {', '.join(unknown)}")
    if role is Role.AGENCY and not agencies:
        raise UserError("an agency user needs at least one --agency")
    if role is not Role.AGENCY and agencies:
        raise UserError("only agency users are scoped to agencies")
    with get_engine().begin() as conn:
        if conn.execute(select(USER.c.id).where(USER.c.username == username)).first():
            raise UserError(f"user '{username}' already exists")
        conn.execute(insert(USER).values(username=username, password_hash=generate_password_hash(password),
                                         role=role.value, agencies=",".join(sorted(agencies)), disabled=False,
                                         session_version=1, created_at=utcnow()))
        account = _account(conn.execute(select(USER).where(USER.c.username == username)).one())
        record(conn, actor=actor, action="user.add", object_type="user", object_id=username,
               after=_public(account))
    return account


def set_disabled(username: str, disabled: bool, *, actor: str) -> Account:
    """Disable (ending every session at once) or enable a user."""
    with get_engine().begin() as conn:
        row = conn.execute(select(USER).where(USER.c.username == username.strip().lower())).first()
        if row is None:
            raise UserError(f"no user '{username}'")
        before = _account(row)
        conn.execute(update(USER).where(USER.c.id == before.id).values(
            disabled=disabled, session_version=before.session_version + 1))
        after = _account(conn.execute(select(USER).where(USER.c.id == before.id)).one())
        record(conn, actor=actor, action="user.disable" if disabled else "user.enable", object_type="user",
               object_id=before.username, before=_public(before), after=_public(after))
    return after


def list_users() -> list[Account]:
    with get_engine().connect() as conn:
        return [_account(r) for r in conn.execute(select(USER).order_by(USER.c.username))]


def account_for_session(user_id: int, session_version: int) -> Account | None:
    """The signed-in account, unless it was disabled or its sessions were ended since."""
    with get_engine().connect() as conn:
        row = conn.execute(select(USER).where(USER.c.id == user_id)).first()
    if row is None:
        return None
    account = _account(row)
    if account.disabled or account.session_version != session_version:
        return None
    return account


@dataclass(frozen=True)
class SignIn:
    account: Account | None
    retry_after: dt.timedelta | None = None  # set when the attempt was refused as too frequent


def _wait(conn: Connection, username: str, address: str, now: dt.datetime) -> dt.timedelta | None:
    recent = conn.execute(select(func.count(), func.max(FAILURE.c.at)).where(
        FAILURE.c.at > now - WINDOW, or_(FAILURE.c.username == username, FAILURE.c.address == address))).one()
    failures, last = recent
    if failures < FREE_ATTEMPTS or last is None:
        return None
    last = last if last.tzinfo else last.replace(tzinfo=dt.UTC)
    wait = min(dt.timedelta(seconds=2 ** (failures - FREE_ATTEMPTS + 1)), MAX_WAIT)
    remaining = last + wait - now
    return remaining if remaining > dt.timedelta(0) else None


def authenticate(username: str, password: str, address: str) -> SignIn:
    """Check a sign-in; record and log a failure; refuse attempts that come too fast after failures."""
    username = username.strip().lower()[:80]
    now = utcnow()
    with get_engine().begin() as conn:
        wait = _wait(conn, username, address, now)
        if wait is not None:
            logger.warning("sign-in for %r from %s refused: too many failures, retry in %ss", username, address,
                           int(wait.total_seconds()) + 1)
            return SignIn(None, wait)
        row = conn.execute(select(USER).where(USER.c.username == username)).first()
        valid = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
        if row is not None and valid and not row.disabled:
            conn.execute(update(USER).where(USER.c.id == row.id).values(last_sign_in_at=now))
            conn.execute(delete(FAILURE).where(FAILURE.c.username == username))
            record(conn, actor=username, action="session.sign_in", object_type="user", object_id=username)
            return SignIn(_account(row))
        conn.execute(insert(FAILURE).values(username=username, address=address, at=now))
    logger.warning("failed sign-in for %r from %s", username, address)
    return SignIn(None)
