"""Every table of the value store (SQLModel). Timestamps are timezone-aware UTC."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from metrics.values import CITY


def utcnow() -> dt.datetime:
    """Aware UTC now, the one clock the store uses."""
    return dt.datetime.now(dt.UTC)


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment as aware UTC (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class RunStatus(StrEnum):
    """Outcome of one refresh or load run."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    ABANDONED = "abandoned"  # its process died, or lost the scheduler lease, first; nothing of it was written


class MetricValue(SQLModel, table=True):
    """One version of a metric's value for a period and a place.

    The current version has ``valid_to`` NULL. A restatement closes the current version (sets ``valid_to``)
    and inserts a new one, so the values as of any past moment can be read back.
    """

    __tablename__ = "metric_value"
    __table_args__ = (
        Index(
            "uq_metric_value_current",
            "metric_id", "grain", "period_start", "geography", "geo_key",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("uq_metric_value_version", "metric_id", "grain", "period_start", "geography", "geo_key", "valid_from",
              unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    metric_id: str = Field(max_length=80)  # the unique indexes above lead with it
    grain: str = Field(max_length=20)
    period_start: dt.date
    geography: str = Field(default=CITY, max_length=40)
    geo_key: str = Field(default="", max_length=80)
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    flags: str | None = Field(default=None, sa_column=Column(Text))  # the quality gate's findings (JSON list)
    covered_through: dt.date | None = None  # the source's last day, when before the period's end
    valid_from: dt.datetime = Field(default_factory=utcnow)
    valid_to: dt.datetime | None = None
    run_id: int | None = None  # the refresh run that wrote it (no foreign key: see migration 0012)


class ValueReview(SQLModel, table=True):
    """The performance team's verdict on a value (``metrics.values.Verdict``), for the value it was given on.

    The latest review of a key applies while the value stays the same; a restated value needs a new review.
    """

    __tablename__ = "value_review"

    id: int | None = Field(default=None, primary_key=True)
    metric_id: str = Field(max_length=80, index=True)
    grain: str = Field(max_length=20)
    period_start: dt.date
    geography: str = Field(max_length=40)
    geo_key: str = Field(max_length=80)
    value: float | None = None
    verdict: str = Field(max_length=20)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    reviewer: str = Field(max_length=80)
    reviewed_at: dt.datetime = Field(default_factory=utcnow, index=True)


class RefreshRun(SQLModel, table=True):
    """One execution of a metric refresh, failures included."""

    __tablename__ = "refresh_run"

    id: int | None = Field(default=None, primary_key=True)
    metric_id: str = Field(max_length=80, index=True)
    trigger: str = Field(default="cli", max_length=20)
    runner: str = Field(default="", max_length=120)
    started_at: dt.datetime = Field(default_factory=utcnow, index=True)
    finished_at: dt.datetime | None = Field(default=None, index=True)
    status: str = Field(default=RunStatus.RUNNING, max_length=20)
    rows_read: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    warnings: str | None = Field(default=None, sa_column=Column(Text))
    lease: int | None = None  # the scheduler's fencing token (data.lease); none for refreshes run by hand
    digest: str | None = Field(default=None, max_length=64)  # of its inputs (pipeline.compute.inputs_digest)


class SchedulerLease(SQLModel, table=True):
    """The scheduler's lease: one row whose epoch goes up each time a scheduler becomes leader."""

    __tablename__ = "scheduler_lease"

    id: int | None = Field(default=None, primary_key=True)
    epoch: int = 0
    holder: str = Field(default="", max_length=120)
    taken_at: dt.datetime | None = None


class SourceLoad(SQLModel, table=True):
    """One load of a source file into its source table, with the rows it rejected and why."""

    __tablename__ = "source_load"

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(max_length=80, index=True)
    file: str = Field(max_length=400)
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    status: str = Field(default=RunStatus.RUNNING, max_length=20)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejections: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))


class Role(StrEnum):
    """What a viewer may see and do. Anonymous visitors (residents) have no user row."""

    ANONYMOUS = "anonymous"  # a resident: public metrics only
    ADMIN = "admin"  # Mayor's office / performance team: everything, manages sessions and users
    AGENCY = "agency"  # its agencies' internal metrics and data health; commentary on its metrics
    VIEWER = "viewer"  # internal read-only across the city


class User(SQLModel, table=True):
    """A staff account. Passwords are stored as salted hashes (scrypt, from Werkzeug)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    agencies: str = Field(default="", max_length=2000)  # comma-separated agency ids (role agency)
    email: str | None = Field(default=None, max_length=320)  # where reminders go (none: no reminders)
    disabled: bool = False
    session_version: int = 1  # bumped to end every session of the user (disable, password change)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_sign_in_at: dt.datetime | None = None


class SignInFailure(SQLModel, table=True):
    """A failed sign-in, kept to slow down guessing (see ``data/throttle.py``) and for the audit."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_username_address", "username", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, index=True)
    address: str = Field(max_length=64, index=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)


class SignInSession(SQLModel, table=True):
    """A signed-in session: ended at sign-out; its address is one the user is known to sign in from."""

    __tablename__ = "sign_in_session"
    __table_args__ = (Index("ix_sign_in_session_user_address", "user_id", "address", "started_at"),)

    id: str = Field(primary_key=True, max_length=64)  # random; carried in the signed session cookie
    user_id: int = Field(foreign_key="app_user.id")
    address: str = Field(max_length=64)  # the throttling key of the address (an IPv6 address by its /64)
    started_at: dt.datetime = Field(default_factory=utcnow)
    ended_at: dt.datetime | None = None  # set at sign-out


class AuditEntry(SQLModel, table=True):
    """Every write: who, when, what, and the object before and after (JSON)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=80)  # username, or "system" / "cli:<os user>"
    action: str = Field(max_length=80)
    object_type: str = Field(max_length=40, index=True)
    object_id: str = Field(max_length=120)
    before: str | None = Field(default=None, sa_column=Column(Text))
    after: str | None = Field(default=None, sa_column=Column(Text))
