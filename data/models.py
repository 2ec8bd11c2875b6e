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
    metric_id: str = Field(max_length=80, index=True)
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
    run_id: int | None = Field(default=None, foreign_key="refresh_run.id")


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


class CitiStatSession(SQLModel, table=True):
    """One CitiStat meeting about an agency, a pillar or a council district.

    Its values are read as they stood at ``frozen_at`` and only for periods ending by ``data_cutoff``, so the
    session looks the same later as it did in the room, whatever was restated since.
    """

    __tablename__ = "citistat_session"

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=20)  # metrics.subjects.SubjectKind
    subject_id: str = Field(max_length=80)
    meets_on: dt.date = Field(index=True)
    data_cutoff: dt.date
    frozen_at: dt.datetime = Field(default_factory=utcnow)
    attendees: str = Field(default="", sa_column=Column(Text, nullable=False))  # one "Role: Name" per line
    created_by: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow)


class AgendaItem(SQLModel, table=True):
    """A measure on a session's agenda: suggested by the escalation rule or added by the analyst.

    Removing keeps the row (``removed``) with the analyst's reason, so a suggestion never silently disappears.
    """

    __tablename__ = "agenda_item"
    __table_args__ = (Index("uq_agenda_item", "session_id", "metric_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="citistat_session.id", index=True)
    metric_id: str = Field(max_length=80)
    position: int
    origin: str = Field(max_length=20)  # "rule" or "analyst"
    reasons: str = Field(default="", max_length=200)  # comma-separated metrics.escalation.Reason values
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
    removed: bool = False
    analyst_note: str | None = Field(default=None, sa_column=Column(Text))  # why added or removed
    updated_by: str = Field(max_length=80)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class FollowUp(SQLModel, table=True):
    """A commitment made in a session: an owner, a due date, a deliverable, and the evidence that closes it."""

    __tablename__ = "follow_up"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="citistat_session.id", index=True)
    request: str = Field(sa_column=Column(Text, nullable=False))
    owner_role: str = Field(max_length=120)
    owner_agency: str = Field(max_length=80, index=True)
    due_on: dt.date = Field(index=True)
    deliverable: str = Field(max_length=40)  # metrics.followups.Deliverable
    metric_ids: str = Field(default="", max_length=2000)  # comma-separated linked measures
    evidence: str | None = Field(default=None, sa_column=Column(Text))
    evidence_link: str | None = Field(default=None, max_length=500)
    started_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    created_by: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Commentary(SQLModel, table=True):
    """A note on a metric's value for one period, public (residents see it) or internal.

    A withdrawn comment keeps its row (``withdrawn_at``), so what was said stays on record.
    """

    __tablename__ = "commentary"

    id: int | None = Field(default=None, primary_key=True)
    metric_id: str = Field(max_length=80, index=True)
    grain: str = Field(max_length=20)
    period_start: dt.date
    visibility: str = Field(max_length=20)  # metrics.spec.Visibility
    body: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    withdrawn_at: dt.datetime | None = None


class DataCall(SQLModel, table=True):
    """A reporting period opened by the performance team: agencies report their measures due in it by ``due_on``."""

    __tablename__ = "data_call"
    __table_args__ = (Index("uq_data_call_period", "grain", "period_start", unique=True,
                            sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    grain: str = Field(max_length=20)  # fiscal_quarter or fiscal_year
    period_start: dt.date
    due_on: dt.date
    opened_by: str = Field(max_length=80)
    opened_at: dt.datetime = Field(default_factory=utcnow)
    closed_at: dt.datetime | None = None  # cancelled (opened by mistake): kept, with the reason
    cancel_reason: str | None = Field(default=None, sa_column=Column(Text))


class ReportedEntry(SQLModel, table=True):
    """One measure's figure in a data call, from not started to accepted (``metrics.reporting.EntryState``).

    Every change is in the audit log with the entry before and after; ``published_at`` is set when the accepted
    figure reached the measure's source table (the publish gate may hold it until its blockers are cleared).
    """

    __tablename__ = "reported_entry"
    __table_args__ = (Index("uq_reported_entry", "call_id", "metric_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="data_call.id", index=True)
    metric_id: str = Field(max_length=80)
    agency: str = Field(max_length=80, index=True)
    state: str = Field(max_length=20)
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    prior_note: str | None = Field(default=None, sa_column=Column(Text))  # for the prior year's actual, if it has none
    return_reason: str | None = Field(default=None, sa_column=Column(Text))  # the latest return, kept after it
    restatement_reason: str | None = Field(default=None, sa_column=Column(Text))  # when it replaced a published figure
    updated_by: str | None = Field(default=None, max_length=80)
    updated_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    reviewed_by: str | None = Field(default=None, max_length=80)
    reviewed_at: dt.datetime | None = None
    published_at: dt.datetime | None = None


class TargetProposal(SQLModel, table=True):
    """A target an agency proposes for a fiscal year, with its note; the performance team approves or declines it.

    The latest approved proposal of a (metric, fiscal year) replaces the registry's target for that year.
    """

    __tablename__ = "target_proposal"

    id: int | None = Field(default=None, primary_key=True)
    metric_id: str = Field(max_length=80, index=True)
    fiscal_year: int
    value: float
    note: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(max_length=20)  # proposed, approved, declined
    proposed_by: str = Field(max_length=80)
    proposed_at: dt.datetime = Field(default_factory=utcnow)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: dt.datetime | None = Field(default=None, index=True)
    decision_note: str | None = Field(default=None, sa_column=Column(Text))


class Restatement(SQLModel, table=True):
    """A published figure replaced by another, with the reason (shown as a note on the measure's chart)."""

    __tablename__ = "restatement"

    id: int | None = Field(default=None, primary_key=True)
    metric_id: str = Field(max_length=80, index=True)
    grain: str = Field(max_length=20)
    period_start: dt.date
    old_value: float | None = None
    new_value: float | None = None
    reason: str = Field(sa_column=Column(Text, nullable=False))
    restated_by: str = Field(max_length=80)
    restated_at: dt.datetime = Field(default_factory=utcnow)


class PendingUpload(SQLModel, table=True):
    """A workbook read for a data call and shown as a preview: nothing of it is saved until its uploader confirms."""

    __tablename__ = "pending_upload"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="data_call.id", index=True)
    uploaded_by: str = Field(max_length=80)
    filename: str = Field(max_length=200)
    uploaded_at: dt.datetime = Field(default_factory=utcnow)
    preview: str = Field(sa_column=Column(Text, nullable=False))  # JSON: the changes and the refused cells
    confirmed_at: dt.datetime | None = None
