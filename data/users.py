"""Staff accounts: add, disable, list; sign-in checks (throttled after failures) and server-side sessions.

Passwords are salted scrypt hashes (Werkzeug). Repeated failures make further attempts wait (``data/throttle.py``:
per username and address, per address, and a slower path for new addresses); every failure is logged and kept
for ``FAILURES_KEPT``. A successful sign-in starts a server-side session that sign-out ends.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from data.audit import record
from data.db import get_engine
from data.models import Role, User, utcnow
from data.throttle import FAILURE, KNOWN_FOR, SESSION, address_key, retry_after

logger = logging.getLogger(__name__)

USER = User.__table__  # type: ignore[attr-defined]
MIN_PASSWORD_LENGTH = 12
FAILURES_KEPT = dt.timedelta(days=90)
STAFF_ROLES = (Role.ADMIN, Role.AGENCY, Role.VIEWER)


EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


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
    email: str | None = None


def _account(row: object) -> Account:
    r = row
    return Account(r.id, r.username, Role(r.role),  # type: ignore[attr-defined]
                   frozenset(a for a in r.agencies.split(",") if a),  # type: ignore[attr-defined]
                   r.disabled, r.session_version, r.last_sign_in_at, r.email)  # type: ignore[attr-defined]


def _public(account: Account) -> dict[str, object]:
    return {"username": account.username, "role": account.role.value, "agencies": sorted(account.agencies),
            "disabled": account.disabled, "email": account.email}


def add_user(username: str, password: str, role: Role, agencies: frozenset[str], *, actor: str,
             known_agencies: frozenset[str], email: str | None = None) -> Account:
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
    email = _email(email)
    with get_engine().begin() as conn:
        if conn.execute(select(USER.c.id).where(USER.c.username == username)).first():
            raise UserError(f"user '{username}' already exists")
        conn.execute(insert(USER).values(username=username, password_hash=generate_password_hash(password),
                                         role=role.value, agencies=",".join(sorted(agencies)), disabled=False,
                                         session_version=1, created_at=utcnow(), email=email))
        account = _account(conn.execute(select(USER).where(USER.c.username == username)).one())
        record(conn, actor=actor, action="user.add", object_type="user", object_id=username,
               after=_public(account))
    return account


def set_email(username: str, email: str | None, *, actor: str) -> Account:
    """Where the user's reminders go (None: no reminders)."""
    address = _email(email)
    with get_engine().begin() as conn:
        row = conn.execute(select(USER).where(USER.c.username == username.strip().lower())).first()
        if row is None:
            raise UserError(f"no user '{username}'")
        before = _account(row)
        conn.execute(update(USER).where(USER.c.id == before.id).values(email=address))
        after = _account(conn.execute(select(USER).where(USER.c.id == before.id)).one())
        record(conn, actor=actor, action="user.email", object_type="user", object_id=before.username,
               before=_public(before), after=_public(after))
    return after


def reminder_addresses(agency: str) -> list[str]:
    """The e-mail addresses of the agency's active users: where its reminders go."""
    with get_engine().connect() as conn:
        rows = conn.execute(select(USER).where(USER.c.disabled.is_(False), USER.c.email.is_not(None),
                                               USER.c.role == Role.AGENCY.value)).all()
    return sorted({r.email for r in rows if agency in r.agencies.split(",")})


def _email(email: str | None) -> str | None:
    address = (email or "").strip()
    if not address:
        return None
    if len(address) > 320 or not EMAIL.fullmatch(address):
        raise UserError(f"'{address[:80]}' is not an e-mail address")
    return address


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


def account_for_session(user_id: int, session_version: int, session_id: str) -> Account | None:
    """The signed-in account, unless it was disabled, its sessions were ended since, or it signed out."""
    with get_engine().connect() as conn:
        row = conn.execute(select(USER).join(SESSION, SESSION.c.user_id == USER.c.id).where(
            USER.c.id == user_id, SESSION.c.id == session_id, SESSION.c.ended_at.is_(None))).first()
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
    session_id: str | None = None  # the server-side session started by a successful sign-in


def authenticate(username: str, password: str, address: str) -> SignIn:
    """Check a sign-in from ``address``; record and log a failure; refuse attempts that come too fast after
    failures (the rule is in ``data/throttle.py``); start a server-side session on success."""
    username = username.strip().lower()[:80]
    key = address_key(address)
    now = utcnow()
    with get_engine().begin() as conn:
        row = conn.execute(select(USER).where(USER.c.username == username)).first()
        wait = retry_after(conn, username, row.id if row else None, key, now)
        if wait is not None:
            seconds = math.ceil(wait.total_seconds())
            logger.warning("sign-in for %r from %s refused: too many failures, retry in %ss", username, address,
                           seconds)
            return SignIn(None, dt.timedelta(seconds=seconds))
        valid = check_password_hash(row.password_hash if row else _dummy_hash(), password)
        if row is not None and valid and not row.disabled:
            session_id = secrets.token_urlsafe(32)
            conn.execute(update(USER).where(USER.c.id == row.id).values(last_sign_in_at=now))
            conn.execute(delete(SESSION).where(SESSION.c.user_id == row.id, SESSION.c.started_at < now - KNOWN_FOR))
            conn.execute(insert(SESSION).values(id=session_id, user_id=row.id, address=key, started_at=now))
            record(conn, actor=username, action="session.sign_in", object_type="user", object_id=username)
            return SignIn(_account(row), session_id=session_id)
        conn.execute(insert(FAILURE).values(username=username, address=key, at=now))
        conn.execute(delete(FAILURE).where(FAILURE.c.at < now - FAILURES_KEPT))
    logger.warning("failed sign-in for %r from %s", username, address)
    return SignIn(None)


def end_session(session_id: str) -> None:
    """Sign-out: the session is over on the server, so a copy of its cookie no longer signs anyone in."""
    with get_engine().begin() as conn:
        conn.execute(update(SESSION).where(SESSION.c.id == session_id, SESSION.c.ended_at.is_(None)).values(
            ended_at=utcnow()))


@functools.cache
def _dummy_hash() -> str:
    """A hash to check an unknown name's password against, so it takes as long as a known one's (made at the first
    need: scrypt takes a tenth of a second, which every process start paid)."""
    return generate_password_hash("timing-equaliser-not-a-password")
