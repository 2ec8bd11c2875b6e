"""The data call's tables: reporting periods, entries, target proposals, restatements and pending uploads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from data.models import utcnow


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
