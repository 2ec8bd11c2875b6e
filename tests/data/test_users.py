"""Staff accounts: the command line (hashed passwords, scoped roles, disabling, the audit log), sign-in
throttling (per username and address, per address, the slower path) and server-side sessions."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, insert, select

from data import throttle
from data.config import PROJECT_ROOT
from data.db import get_engine
from data.models import AuditEntry, Role, User, utcnow
from data.throttle import FAILURE
from data.users import SignIn, account_for_session, add_user, authenticate, end_session, set_disabled

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]
PASSWORD = "correct-horse-battery"


def cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "data", "users", *args], cwd=PROJECT_ROOT, env=dict(os.environ),
                          input=password, capture_output=True, text=True, timeout=60, check=False)


def test_add_list_disable_with_hashed_passwords_and_audit(database: str) -> None:
    added = cli("add", "HCD.Lead", "--role", "agency", "--agency", "AGC3100", "--password-stdin",
                password="a-long-enough-password\n")
    assert added.returncode == 0, added.stderr
    assert "Added agency 'hcd.lead' for AGC3100." in added.stdout
    with get_engine().connect() as conn:
        stored = conn.execute(select(USERS.c.password_hash)).scalar_one()
    assert "a-long-enough-password" not in stored and stored.startswith("scrypt:")
    assert cli("disable", "hcd.lead").returncode == 0
    listing = cli("list").stdout
    assert "hcd.lead" in listing and "AGC3100" in listing and "disabled" in listing
    with get_engine().connect() as conn:
        audit = conn.execute(select(AUDIT).order_by(AUDIT.c.id)).all()
    assert [(a.action, a.object_id) for a in audit] == [("user.add", "hcd.lead"), ("user.disable", "hcd.lead")]
    assert audit[0].actor.startswith("cli:")
    assert json.loads(audit[1].before)["disabled"] is False and json.loads(audit[1].after)["disabled"] is True


def test_bad_user_commands_are_explained(database: str) -> None:
    short = cli("add", "x", "--role", "viewer", "--password-stdin", password="short\n")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    unknown = cli("add", "y", "--role", "agency", "--agency", "AGC0000", "--password-stdin",
                  password="a-long-enough-password\n")
    assert unknown.returncode == 1 and "unknown agency id(s): AGC0000" in unknown.stderr
    assert "needs at least one --agency" in cli("add", "z", "--role", "agency", "--password-stdin",
                                                password="a-long-enough-password\n").stderr
    assert "no user 'nobody'" in cli("disable", "nobody").stderr


def failures_at(username: str, address: str, *moments: dt.datetime) -> None:
    with get_engine().begin() as conn:
        conn.execute(insert(FAILURE), [{"username": username, "address": address, "at": m} for m in moments])


def test_guessing_one_user_from_one_address_waits_doubling_and_bounded(database: str,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    add_user("ada", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset())
    with caplog.at_level(logging.WARNING, logger="data.users"):
        for _ in range(5):
            assert authenticate("ada", "wrong-password-1", "203.0.113.5") == SignIn(None)
        refused = authenticate("Ada", PASSWORD, "203.0.113.5")  # the right password waits there too
    assert refused.account is None and refused.retry_after == dt.timedelta(seconds=2)
    assert sum("failed sign-in for 'ada' from 203.0.113.5" in r.getMessage() for r in caplog.records) == 5
    assert authenticate("ada", PASSWORD, "198.51.100.7").account is not None  # elsewhere: signed in
    now = utcnow()
    with get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(FAILURE)).scalar_one() == 5  # kept
        waits = [throttle.backoff(n, throttle.PAIR_FREE) for n in range(4, 40)]
        assert waits[:4] == [None, dt.timedelta(seconds=2), dt.timedelta(seconds=4), dt.timedelta(seconds=8)]
        assert max(w for w in waits if w) == throttle.MAX_WAIT == dt.timedelta(minutes=5)
        later = throttle.retry_after(conn, "ada", None, "203.0.113.5", now + dt.timedelta(seconds=3))
    assert later is None  # two seconds on, the next attempt is checked


def test_a_sign_in_restarts_the_count_and_old_failures_expire(database: str) -> None:
    add_user("ada", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset())
    ten_minutes_ago = utcnow() - dt.timedelta(minutes=10)
    failures_at("ada", "203.0.113.5", *[ten_minutes_ago] * 6)  # their 4-second wait is long over
    assert authenticate("ada", PASSWORD, "203.0.113.5").account is not None
    assert authenticate("ada", "wrong-password-1", "203.0.113.5").account is None
    assert authenticate("ada", PASSWORD, "203.0.113.5").account is not None  # 1 failure since the sign-in
    failures_at("bob", "192.0.2.1", *[utcnow() - throttle.WINDOW - dt.timedelta(seconds=1)] * 30)
    with get_engine().connect() as conn:
        assert throttle.retry_after(conn, "bob", None, "192.0.2.1", utcnow()) is None


def test_spraying_names_from_a_shared_address_slows_only_new_names_there(database: str) -> None:
    for name in ("ada", "bob", "cy"):
        add_user(name, PASSWORD, Role.VIEWER, frozenset(), actor="test", known_agencies=frozenset())
    office = "198.51.100.20"
    assert authenticate("bob", PASSWORD, office).account is not None  # bob signs in from the office daily
    for n in range(throttle.ADDRESS_FREE - 1):
        assert authenticate(f"nobody{n}", "wrong-password-1", office).retry_after is None
    assert authenticate("ada", PASSWORD, office).account is not None  # below the address's limit
    assert authenticate("nobody-last", "wrong-password-1", office).account is None
    assert authenticate("cy", PASSWORD, office).retry_after == dt.timedelta(seconds=2)  # new here: waits
    assert authenticate("bob", PASSWORD, office).account is not None  # known here: not slowed
    assert authenticate("ada", PASSWORD, office).account is not None
    assert authenticate("cy", PASSWORD, "192.0.2.1").account is not None  # elsewhere: not slowed


def test_a_user_guessed_from_many_addresses_takes_the_slower_path_from_new_ones(database: str) -> None:
    add_user("ada", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset())
    assert authenticate("ada", PASSWORD, "198.51.100.7").account is not None  # home
    for n in range(throttle.USER_FREE):
        assert authenticate("ada", "wrong-password-1", f"203.0.113.{n}").retry_after is None
    assert authenticate("ada", PASSWORD, "192.0.2.1").account is not None  # new: right on the first try is in
    assert authenticate("ada", "wrong-password-1", "192.0.2.2").account is None
    assert authenticate("ada", PASSWORD, "192.0.2.2").retry_after == dt.timedelta(seconds=2)  # then a short wait
    for _ in range(throttle.PAIR_FREE - 1):
        assert authenticate("ada", "wrong-password-1", "198.51.100.7").retry_after is None  # home: 5 free
    assert authenticate("ada", PASSWORD, "198.51.100.7").account is not None


def test_addresses_are_counted_by_subscriber(database: str) -> None:
    assert throttle.address_key("2001:db8:1:2::5") == throttle.address_key("2001:db8:1:2:ffff::1") == (
        "2001:db8:1:2::/64")
    assert throttle.address_key("::ffff:203.0.113.5") == "203.0.113.5" == throttle.address_key(" 203.0.113.5 ")
    assert throttle.address_key("") == "unknown"
    for n in range(throttle.PAIR_FREE):
        authenticate("ada", "wrong-password-1", f"2001:db8:1:2::{n + 1}")  # one block, rotating addresses
    assert authenticate("ada", "wrong-password-1", "2001:db8:1:2::99").retry_after is not None


def test_sessions_end_at_sign_out_and_when_disabled(database: str) -> None:
    add_user("ada", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset())
    first, second = (authenticate("ada", PASSWORD, "198.51.100.7") for _ in range(2))
    assert first.account and first.session_id and second.account and second.session_id
    assert getattr(account_for_session(first.account.id, 1, first.session_id), "username", None) == "ada"
    assert account_for_session(first.account.id, 1, "forged") is None
    end_session(first.session_id)
    assert account_for_session(first.account.id, 1, first.session_id) is None  # signed out
    assert account_for_session(second.account.id, 1, second.session_id) is not None  # the other one stays
    set_disabled("ada", True, actor="test")
    assert account_for_session(second.account.id, 2, second.session_id) is None
