"""Staff accounts from the command line: hashed passwords, scoped roles, disabling, and the audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from data.config import PROJECT_ROOT
from data.db import get_engine
from data.models import AuditEntry, User

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]


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
